# Operations keeps no tables of its own; this module exists so post_migrate reaches OpsConfig.
