//! Keyboard shortcuts for whoever runs the timer, and the dialog that lists them (`?`).
//!
//! Space starts, pauses or resumes the clock, N and P move to the next or previous phase, U undoes a phase change
//! while it is offered, + adds a minute. They do nothing while the person types in a field, while a modifier key
//! (Ctrl, Alt, Meta) is held, or while a dialog is open; Space also leaves buttons, links and other controls alone,
//! which it already activates. What a shortcut changes is announced like the same click (the announcer in timer.rs).

use leptos::html;
use leptos::prelude::*;

/// What a key press asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shortcut {
    /// Start, pause or resume the clock.
    StartPause,
    /// Next phase.
    Next,
    /// Previous phase.
    Previous,
    /// Undo the last phase change.
    Undo,
    /// Add one minute.
    AddMinute,
    /// Show the list of shortcuts.
    Help,
}

/// The keys, as listed in the dialog (and in the controls' `aria-keyshortcuts`).
pub const SHORTCUTS: [(&str, &str); 6] = [
    ("Space", "Start, pause or resume the timer"),
    ("N", "Next phase"),
    ("P", "Previous phase"),
    ("U", "Undo the last phase change, while it is offered"),
    ("+", "Add one minute"),
    ("?", "Show these shortcuts"),
];

/// The shortcut a key (`KeyboardEvent.key`) stands for. `=` counts as `+`: it is the same key without Shift on most
/// layouts.
pub fn shortcut_for(key: &str) -> Option<Shortcut> {
    Some(match key {
        " " | "Spacebar" => Shortcut::StartPause,
        "n" | "N" => Shortcut::Next,
        "p" | "P" => Shortcut::Previous,
        "u" | "U" => Shortcut::Undo,
        "+" | "=" => Shortcut::AddMinute,
        "?" => Shortcut::Help,
        _ => return None,
    })
}

/// Where a key press lands, as far as the shortcuts care.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// A field that takes text or a choice: every key belongs to it.
    Field,
    /// A button, link or other control: Space activates it already.
    Control,
    /// Anything else (the page, a heading, a card).
    Page,
}

/// Whether `shortcut`, pressed on `target`, is the page's to handle.
pub fn applies(shortcut: Shortcut, target: Target) -> bool {
    match target {
        Target::Field => false,
        Target::Control => shortcut != Shortcut::StartPause,
        Target::Page => true,
    }
}

/// Calls `on` for every shortcut pressed while `enabled` is true (see the module's rules). Browser only.
pub fn use_shortcuts(enabled: Signal<bool>, on: impl Fn(Shortcut) + 'static) {
    #[cfg(feature = "hydrate")]
    {
        let handle = window_event_listener(leptos::ev::keydown, move |ev| {
            if ev.default_prevented() || ev.repeat() || ev.ctrl_key() || ev.alt_key() || ev.meta_key() {
                return;
            }
            if !enabled.get_untracked() || dialog_open() {
                return;
            }
            let Some(shortcut) = shortcut_for(&ev.key()) else {
                return;
            };
            if applies(shortcut, target_of(&ev)) {
                ev.prevent_default();
                on(shortcut);
            }
        });
        on_cleanup(move || handle.remove());
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (enabled, on);
}

/// What kind of element the key press went to.
#[cfg(feature = "hydrate")]
fn target_of(ev: &web_sys::KeyboardEvent) -> Target {
    use wasm_bindgen::JsCast;
    let Some(el) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok()) else {
        return Target::Page;
    };
    if el.is_content_editable() {
        return Target::Field;
    }
    match el.tag_name().as_str() {
        "INPUT" => match el.get_attribute("type").as_deref() {
            Some("button" | "submit" | "reset" | "checkbox" | "radio") => Target::Control,
            _ => Target::Field,
        },
        "TEXTAREA" | "SELECT" => Target::Field,
        "BUTTON" | "A" | "SUMMARY" => Target::Control,
        _ if el.has_attribute("role") => Target::Control,
        _ => Target::Page,
    }
}

/// Whether a modal dialog is open (the shortcuts' own, or any other).
#[cfg(feature = "hydrate")]
fn dialog_open() -> bool {
    document().query_selector("dialog[open]").ok().flatten().is_some()
}

/// The "Keyboard shortcuts" button and its dialog. `open` opens it from elsewhere (the `?` key).
#[component]
pub fn ShortcutsHelp(open: RwSignal<bool>) -> impl IntoView {
    let dialog = NodeRef::<html::Dialog>::new();
    Effect::new(move |_| {
        if open.get() {
            if let Some(d) = dialog.get() {
                if !d.open() {
                    let _ = d.show_modal();
                }
            }
        }
    });
    view! {
        <button class="link-button timer__keys" aria-keyshortcuts="?" data-testid="shortcuts-open"
            on:click=move |_| open.set(true)>"Keyboard shortcuts"</button>
        <dialog class="dialog" node_ref=dialog aria-labelledby="shortcuts-title" data-testid="shortcuts"
            on:close=move |_| open.set(false)>
            <h2 id="shortcuts-title">"Keyboard shortcuts"</h2>
            <p class="hint">"For whoever runs the timer. They do nothing while you type in a field."</p>
            <dl class="keys">
                {SHORTCUTS.iter().map(|(key, what)| view! {
                    <div class="keys__row"><dt><kbd>{*key}</kbd></dt><dd>{*what}</dd></div>
                }).collect_view()}
            </dl>
            <form method="dialog">
                <button class="button" autofocus>"Close"</button>
            </form>
        </dialog>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_map_to_shortcuts() {
        assert_eq!(shortcut_for(" "), Some(Shortcut::StartPause));
        assert_eq!(shortcut_for("N"), Some(Shortcut::Next));
        assert_eq!(shortcut_for("p"), Some(Shortcut::Previous));
        assert_eq!(shortcut_for("u"), Some(Shortcut::Undo));
        assert_eq!(shortcut_for("="), Some(Shortcut::AddMinute));
        assert_eq!(shortcut_for("?"), Some(Shortcut::Help));
        assert_eq!(shortcut_for("x"), None);
        assert_eq!(shortcut_for("Enter"), None);
    }

    #[test]
    fn typing_in_a_field_is_never_a_shortcut_and_space_leaves_controls_alone() {
        for s in [Shortcut::StartPause, Shortcut::Next, Shortcut::Help] {
            assert!(!applies(s, Target::Field));
            assert!(applies(s, Target::Page));
        }
        assert!(!applies(Shortcut::StartPause, Target::Control));
        assert!(applies(Shortcut::Next, Target::Control));
    }

    #[test]
    fn every_shortcut_is_listed() {
        let listed: Vec<_> = SHORTCUTS
            .iter()
            .map(|(k, _)| shortcut_for(if *k == "Space" { " " } else { k }))
            .collect();
        for s in [
            Shortcut::StartPause,
            Shortcut::Next,
            Shortcut::Previous,
            Shortcut::Undo,
            Shortcut::AddMinute,
            Shortcut::Help,
        ] {
            assert!(listed.contains(&Some(s)), "{s:?} is not listed");
        }
    }
}
