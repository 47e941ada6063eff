"""What a connector declares about its network beside its rules: the options a post can take
(`options`), the names under which its figures add up with other networks' (`metrics`), and the
table of networks in docs/networks.md rendered from those declarations (`networks_table`)."""
