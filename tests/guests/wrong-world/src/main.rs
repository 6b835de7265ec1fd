//! A component of the wrong world: a WASI command (it exports `wasi:cli/run`),
//! not an augur rule. The host must refuse to load it, and say why.

fn main() {
    println!("I am a program, not a rule");
}
