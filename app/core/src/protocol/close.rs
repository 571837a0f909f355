//! WebSocket close codes, and why the relay closes a connection: each cause ([`Close`]) has its code and its reason
//! text here, once, so that the relay, the browser and the tests name them the same way.
//!
//! The codes: 1001–1013 are the standard ones (RFC 6455 and the IANA registry), after which a client reconnects;
//! 4001–4009 are Tandem's own, and only 4001 and 4004 tell the page to stop trying.

/// 1001, going away: the client was silent for too long.
pub const CLOSE_GOING_AWAY: u16 = 1001;
/// 1006, closed abnormally: never sent. A browser reports it for a connection that ended without a close frame, and
/// the page uses it too when it lets go of a socket on going offline.
pub const CLOSE_ABNORMAL: u16 = 1006;
/// 1002, protocol error: a frame that breaks the WebSocket protocol (a stray continuation, reserved bits).
pub const CLOSE_PROTOCOL: u16 = 1002;
/// 1007, invalid payload: a notes update could not be read.
pub const CLOSE_INVALID_DATA: u16 = 1007;
/// 1008, policy violation: too many messages, or notes out of order; the reconnect resyncs.
pub const CLOSE_POLICY: u16 = 1008;
/// 1009, message too big: a frame over the relay's limit.
pub const CLOSE_TOO_BIG: u16 = 1009;
/// 1012, service restart: the relay or the session's actor is restarting; clients reconnect.
pub const CLOSE_RESTART: u16 = 1012;
/// 1013, try again later: storage was unavailable.
pub const CLOSE_TRY_AGAIN_LATER: u16 = 1013;
/// 4001: the client speaks another protocol version and must reload.
pub const CLOSE_RELOAD: u16 = 4001;
/// 4002: the first message was not a valid hello.
pub const CLOSE_BAD_HELLO: u16 = 4002;
/// 4003: this client could not keep up and was dropped; it should reconnect.
pub const CLOSE_TOO_SLOW: u16 = 4003;
/// 4004: the session ended or is no longer available.
pub const CLOSE_GONE: u16 = 4004;
/// 4009: another relay runs this session now (several relays, issue 20); the page reconnects, and the load balancer
/// sends it there.
pub const CLOSE_MOVED: u16 = 4009;

/// Why the relay closes a connection. [`Close::code`] is the close code, [`Close::reason`] the reason sent with it
/// (several causes share a code; the reason tells them apart in logs and developer tools).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Close {
    /// The relay is shutting down gracefully (1012).
    ServerRestarting,
    /// The session's actor stopped (idle, or failed), or was stopping when the client joined (1012).
    SessionRestarting,
    /// Nothing heard from a page within the idle limit (1001).
    Idle,
    /// A frame over the size limit (1009).
    TooLarge,
    /// A notes update that could not be read (1007).
    MalformedNotes,
    /// A notes update that builds on edits the relay never received (1008).
    NotesOutOfOrder,
    /// More frames per second than allowed (1008): dropping a notes update would break the client's later edits.
    TooManyMessages,
    /// The join could not be stored (1013); the page reconnects by itself.
    JoinNotSaved,
    /// A page's session actor could not be started (1013): storage trouble, since the token was checked.
    Unavailable,
    /// A `/yjs` client's session actor could not be started (4004).
    NotesUnavailable,
    /// The page speaks another protocol version (4001).
    Reload,
    /// The first message was not a hello (4002).
    NoHello,
    /// The hello's name is empty or too long (4002).
    BadName,
    /// The hello's participant key is not well formed (4002).
    BadKey,
    /// The client fell too far behind (4003).
    TooSlow,
    /// The session has ended (4004).
    Ended,
    /// The facilitator removed this person from the workshop (4004).
    Removed,
    /// The session has as many people or connections as the relay takes for one session (4004).
    SessionFull,
    /// The host deleted the session, or it was kept past the relay's retention (4004).
    Deleted,
    /// A frame that breaks the WebSocket protocol (1002).
    ProtocolViolation,
    /// A text frame that is not UTF-8 (1007).
    InvalidText,
    /// A breakout page whose person is no longer in this breakout (moved, called back): the page returns to the
    /// workshop, which it is told in a `return` message first (4004).
    NotInBreakout,
    /// Another relay owns the session (or took it over from this one): reconnect, through the load balancer (4009).
    Moved,
}

impl Close {
    /// Every cause, for tests and tools.
    pub const ALL: [Close; 23] = [
        Close::ServerRestarting,
        Close::SessionRestarting,
        Close::Idle,
        Close::TooLarge,
        Close::MalformedNotes,
        Close::NotesOutOfOrder,
        Close::TooManyMessages,
        Close::JoinNotSaved,
        Close::Unavailable,
        Close::NotesUnavailable,
        Close::Reload,
        Close::NoHello,
        Close::BadName,
        Close::BadKey,
        Close::TooSlow,
        Close::Ended,
        Close::Removed,
        Close::NotInBreakout,
        Close::SessionFull,
        Close::Deleted,
        Close::ProtocolViolation,
        Close::InvalidText,
        Close::Moved,
    ];

    /// The WebSocket close code.
    pub const fn code(self) -> u16 {
        match self {
            Close::Idle => CLOSE_GOING_AWAY,
            Close::MalformedNotes | Close::InvalidText => CLOSE_INVALID_DATA,
            Close::ProtocolViolation => CLOSE_PROTOCOL,
            Close::NotesOutOfOrder | Close::TooManyMessages => CLOSE_POLICY,
            Close::TooLarge => CLOSE_TOO_BIG,
            Close::ServerRestarting | Close::SessionRestarting => CLOSE_RESTART,
            Close::JoinNotSaved | Close::Unavailable => CLOSE_TRY_AGAIN_LATER,
            Close::Reload => CLOSE_RELOAD,
            Close::NoHello | Close::BadName | Close::BadKey => CLOSE_BAD_HELLO,
            Close::TooSlow => CLOSE_TOO_SLOW,
            Close::Moved => CLOSE_MOVED,
            Close::Ended
            | Close::NotesUnavailable
            | Close::Removed
            | Close::NotInBreakout
            | Close::SessionFull
            | Close::Deleted => CLOSE_GONE,
        }
    }

    /// The reason sent with the code. A hello refused with it also carries it as the error message.
    pub const fn reason(self) -> &'static str {
        match self {
            Close::ServerRestarting => "Tandem is restarting; reconnecting.",
            Close::SessionRestarting => "Session restarting; reconnecting.",
            Close::Idle => "No message for 10 s; reconnect.",
            Close::TooLarge => "Message too large",
            Close::MalformedNotes => "Malformed notes update",
            Close::NotesOutOfOrder => "Notes out of order; reconnect to resync.",
            Close::TooManyMessages => "Too many messages; reconnect to resync.",
            Close::JoinNotSaved => "Could not save the join; try again.",
            Close::Unavailable | Close::NotesUnavailable => "This session is not available right now.",
            Close::Reload => "Tandem was updated. Please reload the page.",
            Close::NoHello => "The first message must be a hello.",
            Close::BadName => "Please give a name of 1 to 40 characters.",
            Close::BadKey => "The participant key is not valid.",
            Close::TooSlow => "Too far behind; reconnect to catch up.",
            Close::Ended => "The session has ended.",
            Close::Removed => "The facilitator removed you from this workshop.",
            Close::NotInBreakout => "You are no longer in this breakout; back to the workshop.",
            Close::SessionFull => "This session is full.",
            Close::Deleted => "This session was deleted.",
            Close::ProtocolViolation => "Not a valid WebSocket frame",
            Close::InvalidText => "Text that is not UTF-8",
            Close::Moved => "This session moved to another server; reconnecting.",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_fits_in_a_close_frame_and_every_code_may_be_sent() {
        for close in Close::ALL {
            // A control frame carries at most 125 bytes: two for the code, the rest for the reason.
            assert!(close.reason().len() <= 123, "{close:?}");
            assert!(!close.reason().is_empty(), "{close:?}");
            // 1005, 1006 and 1015 must never be sent; 1000–2999 are the standard's, 4000–4999 the application's.
            assert!(![1005, CLOSE_ABNORMAL, 1015].contains(&close.code()), "{close:?}");
            assert!((1000..=1015).contains(&close.code()) || (4000..=4999).contains(&close.code()));
        }
    }

    #[test]
    fn the_causes_a_page_stops_for_are_the_ones_that_say_so() {
        let stops: Vec<Close> = Close::ALL
            .into_iter()
            .filter(|c| [CLOSE_RELOAD, CLOSE_GONE].contains(&c.code()))
            .collect();
        assert_eq!(
            stops,
            [
                Close::NotesUnavailable,
                Close::Reload,
                Close::Ended,
                Close::Removed,
                Close::NotInBreakout,
                Close::SessionFull,
                Close::Deleted
            ]
        );
    }
}
