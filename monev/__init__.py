"""monev's core, the bottom layer: plan readers, target-time grammar, checkpoints, the
store (with the outbox rows), the engine, personal links. Imports no other package."""
