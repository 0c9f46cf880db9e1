"""Alert rules on the reading stream, alert state and history, notifications."""
