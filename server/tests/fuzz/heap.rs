//! Memory, as the fuzzer measures it: the process's RSS (what the issue asks about), the bytes the Rust heap holds
//! (the system allocator, counted: a leak shows here even when the allocator keeps freed pages and RSS cannot tell),
//! and a cap on single allocations for threads that ask for it.
//!
//! RSS is read after asking glibc to give back the free pages it keeps ([`resident_kib`], `malloc_trim`), and its
//! threshold for giving large blocks a mapping of their own is fixed at its initial 128 KiB
//! ([`fixed_mmap_threshold`]). Left to itself, glibc raises that threshold to the size of each large block freed
//! (up to 32 MiB), after which such blocks (a 1.3 MB oversized frame, a long JSON message) come from its arenas and
//! stay resident when freed, and freed small blocks leave whole free pages in its arenas. Measured here without
//! either: RSS grew 12 to 30 % over a 10,000-frame run while the heap in use stayed flat; with the threshold fixed but no
//! trim, 11 % over 100,000 frames, all of it free pages in the arenas. Neither says anything about the relay.
//!
//! The cap is for the threads that draw episodes: judging a frame decodes it with yrs, and a few bytes can declare
//! a count of hundreds of millions, for which yrs reserves gigabytes up front and fills their control bytes (half a
//! second and half a gigabyte for a 7-byte frame). There a refused reservation is a decode error, as the relay's
//! would be in the end (such a count needs more bytes than any frame may hold), without the cost.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicIsize, Ordering};

/// The largest single allocation a capped thread gets: more than any frame the relay accepts.
const CAP_BYTES: usize = 4 << 20;

/// Bytes allocated and not yet freed, through the Rust allocator (SQLite's own C allocations are not counted).
static LIVE: AtomicIsize = AtomicIsize::new(0);

thread_local! {
    static CAPPED: Cell<bool> = const { Cell::new(false) };
    static REFUSED: Cell<usize> = const { Cell::new(0) };
}

/// The system allocator, counted, with the cap.
pub struct Counted;

fn refused(layout: Layout) -> bool {
    let refused = layout.size() > CAP_BYTES && CAPPED.try_with(Cell::get).unwrap_or(false);
    if refused {
        let _ = REFUSED.try_with(|n| n.set(n.get() + 1));
    }
    refused
}

/// Counts a block the system allocator handed out (`size` bytes at `p`, if `p` is not null).
fn counted(p: *mut u8, size: usize) -> *mut u8 {
    if !p.is_null() {
        LIVE.fetch_add(size as isize, Ordering::Relaxed);
    }
    p
}

// SAFETY: every call is passed on to `System` unchanged; the counts and the cap only read sizes.
unsafe impl GlobalAlloc for Counted {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if refused(layout) {
            return std::ptr::null_mut();
        }
        // SAFETY: the caller's layout, as `GlobalAlloc::alloc` requires.
        counted(unsafe { System.alloc(layout) }, layout.size())
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if refused(layout) {
            return std::ptr::null_mut();
        }
        // SAFETY: as for `alloc`.
        counted(unsafe { System.alloc_zeroed(layout) }, layout.size())
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: `ptr` came from this allocator (that is, from `System`) with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > layout.size() && refused(Layout::from_size_align(new_size, layout.align()).unwrap_or(layout)) {
            return std::ptr::null_mut();
        }
        // SAFETY: as for `dealloc`; `new_size` is the caller's.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        }
        counted(p, new_size)
    }
}

/// Fixes glibc's mmap threshold at 128 KiB (see the module's comment). Call before the threads start.
pub fn fixed_mmap_threshold() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        const M_MMAP_THRESHOLD: i32 = -3;
        unsafe extern "C" {
            fn mallopt(param: i32, value: i32) -> i32;
        }
        // SAFETY: glibc's documented tuning call, with a valid parameter and value.
        let done = unsafe { mallopt(M_MMAP_THRESHOLD, 128 * 1024) };
        assert_eq!(done, 1, "mallopt(M_MMAP_THRESHOLD) failed");
    }
}

/// Caps this thread's single allocations at [`CAP_BYTES`] from now on.
pub fn cap_this_thread() {
    CAPPED.with(|c| c.set(true));
}

/// How many allocations this thread was refused by its cap so far.
pub fn refusals() -> usize {
    REFUSED.with(Cell::get)
}

/// The Rust heap in use, in KiB.
pub fn live_kib() -> i64 {
    LIVE.load(Ordering::Relaxed) as i64 / 1024
}

/// The process's resident set size, in KiB, after glibc gave back the free pages it keeps.
pub fn resident_kib() -> u64 {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        unsafe extern "C" {
            fn malloc_trim(pad: usize) -> i32;
        }
        // SAFETY: glibc's documented call; it only returns free memory to the system.
        unsafe { malloc_trim(0) };
    }
    status_kib("VmRSS:")
}

/// The process's resident set size, in KiB, as it is.
pub fn rss_kib() -> u64 {
    status_kib("VmRSS:")
}

/// The highest resident set size the process has had, in KiB.
pub fn peak_rss_kib() -> u64 {
    status_kib("VmHWM:")
}

/// A figure of `/proc/self/status`, in KiB.
fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let line = status.lines().find(|l| l.starts_with(field)).expect(field);
    line.split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .expect("a number of kB")
}
