//! The app's view of the retriever: the `qdrant:retriever/client` import, bound once for
//! the app (`main.rs`) and the latency probe (`bin/query-latency.rs`).

wit_bindgen::generate!({
    inline: "
        package example:app;

        world app {
            import qdrant:retriever/client@0.1.0;
        }
    ",
    path: "../../wit",
    generate_all,
});

use qdrant::retriever::types::Config;

/// The client config for `url`, with the component's defaults and the api-key from
/// `QDRANT_API_KEY`.
pub fn config(url: String) -> Config {
    // Starting from the component's defaults keeps this building when the config grows.
    Config {
        api_key: std::env::var("QDRANT_API_KEY").ok(),
        ..qdrant::retriever::client::default_config(&url)
    }
}
