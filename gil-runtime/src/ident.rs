//! The kernel's thread id, for [`get_native_id`](crate::get_native_id). Identities
//! ([`get_ident`](crate::get_ident)) are gil-core's: [`gil_core::ident`].

/// The kernel's id for the calling thread (Linux: from `/proc/thread-self`).
pub(crate) fn native_id() -> Option<u64> {
    let link = std::fs::read_link("/proc/thread-self").ok()?;
    link.file_name()?.to_str()?.parse().ok()
}
