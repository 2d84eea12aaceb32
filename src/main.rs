fn main() -> std::process::ExitCode {
    bcprune::cli::main()
}
