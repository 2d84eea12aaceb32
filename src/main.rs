//! The `bcprune` binary: everything lives in the library; this only hands over to [`bcprune::cli`].

fn main() -> std::process::ExitCode {
    bcprune::cli::main()
}
