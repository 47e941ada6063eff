"""The sandbox network: a simulated social network inside Kalrav, for the demo and for trying
Kalrav without an account anywhere. It keeps its posts and its audience in Kalrav's database and
is reached only through its connector (kalrav/connectors/networks/sandbox/), as a real network is
reached through HTTP."""
