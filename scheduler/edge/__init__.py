"""Players at the loudspeakers: the control messages, the server's relay, and `loa player`."""
