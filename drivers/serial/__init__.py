"""RS-485 bus for LED counter signs and teller keypads: messages, dialects, bus, devices."""
