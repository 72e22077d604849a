//! WebSSO against the emulator.
