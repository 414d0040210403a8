"""What a pool's standby agents cost: schedule hours (standby), VM prices (prices), the estimate (estimate)."""
