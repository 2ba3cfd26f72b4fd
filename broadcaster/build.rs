//! Embeds the source commit, its date, rustc and the target (see coldpay-build-info).

fn main() {
    coldpay_build_info::emit();
}
