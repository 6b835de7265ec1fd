//! A rule built against a contract newer than the host's: it exports
//! `augur:rules/rule@99.0.0`. The host must refuse to load it and name both
//! versions.
#![cfg(target_arch = "wasm32")]

wit_bindgen::generate!({
    inline: r#"
        package augur:rules@99.0.0;

        interface rule {
            info: func() -> string;
        }

        world future-rule {
            export rule;
        }
    "#,
});

struct FutureRule;

impl exports::augur::rules::rule::Guest for FutureRule {
    fn info() -> String {
        "a rule from the future".into()
    }
}

export!(FutureRule);
