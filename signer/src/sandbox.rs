//! Process hardening applied before any input is read: no core dumps, not ptrace-able, and
//! (on Linux) a seccomp filter under which creating a socket fails.

#![allow(unsafe_code)]

/// Whether the socket filter was installed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SandboxState {
    /// The seccomp filter is active.
    Active,
    /// Not available on this platform or kernel; the reason is reported by `selftest`.
    Unavailable,
}

/// Disables core dumps and ptrace attach, then forbids socket creation.
pub fn harden() -> SandboxState {
    let zero = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: setrlimit reads a valid, initialised rlimit struct; no memory is shared.
    unsafe {
        libc::setrlimit(libc::RLIMIT_CORE, &raw const zero);
    }
    #[cfg(target_os = "linux")]
    {
        // SAFETY: PR_SET_DUMPABLE with constant integer arguments touches no memory of ours.
        unsafe {
            libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0);
        }
        match forbid_sockets() {
            Ok(()) => SandboxState::Active,
            Err(_) => SandboxState::Unavailable,
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        SandboxState::Unavailable
    }
}

#[cfg(target_os = "linux")]
fn forbid_sockets() -> Result<(), String> {
    use std::collections::BTreeMap;

    use seccompiler::{BpfProgram, SeccompAction, SeccompFilter, TargetArch};

    let arch: TargetArch = std::env::consts::ARCH
        .try_into()
        .map_err(|e| format!("{e:?}"))?;
    let mut rules = BTreeMap::new();
    rules.insert(libc::SYS_socket, vec![]);
    rules.insert(libc::SYS_socketpair, vec![]);
    let filter = SeccompFilter::new(
        rules,
        SeccompAction::Allow,
        SeccompAction::Errno(libc::EACCES as u32),
        arch,
    )
    .map_err(|e| e.to_string())?;
    let prog: BpfProgram = filter
        .try_into()
        .map_err(|e: seccompiler::BackendError| e.to_string())?;
    seccompiler::apply_filter_all_threads(&prog).map_err(|e| e.to_string())
}

/// Whether creating a socket fails right now (the proof `selftest` reports).
pub fn socket_creation_blocked() -> bool {
    std::net::UdpSocket::bind("127.0.0.1:0").is_err()
}

/// Network interfaces other than loopback that are up.
pub fn interfaces_up() -> Vec<String> {
    let Ok(dir) = std::fs::read_dir("/sys/class/net") else {
        return Vec::new();
    };
    let mut up: Vec<String> = dir
        .filter_map(std::result::Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            if name == "lo" {
                return None;
            }
            let state = std::fs::read_to_string(e.path().join("operstate")).unwrap_or_default();
            let flags = std::fs::read_to_string(e.path().join("flags")).unwrap_or_default();
            let flag_up = u32::from_str_radix(flags.trim().trim_start_matches("0x"), 16)
                .is_ok_and(|f| f & 1 == 1);
            (state.trim() == "up" || (state.trim() == "unknown" && flag_up)).then_some(name)
        })
        .collect();
    up.sort();
    up
}
