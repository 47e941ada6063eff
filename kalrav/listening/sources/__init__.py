"""Where mentions come from: RSS and Atom feeds, and connected channels' network search."""
