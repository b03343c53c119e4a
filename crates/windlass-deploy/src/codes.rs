//! The diagnostic codes of deploy, its checks and its analysis.

windlass_core::declare_codes! {
    owner: "windlass-deploy";
    codes {
        /// The analysis of the new release's metrics: a notice when it passed, a warning when not.
        ANALYSIS = "analysis";
        /// An environment variable the deploy needs is not set.
        MISSING_VARIABLE = "missing-variable";
        /// An environment variable the deploy needs is empty.
        EMPTY_VARIABLE = "empty-variable";
        /// The service's config file cannot be read or is not valid TOML.
        CONFIG_FILE = "config-file";
        /// The restart command cannot run.
        RESTART_COMMAND = "restart-command";
        /// A target the deploy needs (the health URL's host, Prometheus) cannot be reached.
        UNREACHABLE = "unreachable";
        /// The Docker engine is no swarm manager.
        SWARM = "swarm";
        /// The image to deploy is not on this node and cannot be pulled.
        IMAGE = "image";
        /// A swarm secret the service needs does not exist.
        SECRET = "secret";
    }
    families {}
}
