"""The Lembar Kerja Evaluasi (LKE) ZI/RB: the instrument as versioned data, and the score
a unit's answers earn on it. Pure: no I/O beyond reading the data files."""
