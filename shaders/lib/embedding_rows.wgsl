// Where a token's word, position and token-type rows start in their tables (element offsets), shared by the training
// forward's embedding sums (embedding_sum.wgsl, attribution_embedding_sum.wgsl) so both read the same rows the same
// way. Ids are validated on the host; each is clamped here too, so a bad id never reads outside its table.

struct EmbeddingRows {
  word: u32,
  position: u32,
  tokenType: u32,
}

// Token `row` of a batch of sequences of T tokens (position row % T), with its word and type ids; C: hidden size.
fn embeddingRows(row: u32, T: u32, C: u32, wordId: u32, typeId: u32, vocabSize: u32, maxPositions: u32, typeVocabSize: u32) -> EmbeddingRows {
  return EmbeddingRows(min(wordId, vocabSize - 1u) * C, min(row % T, maxPositions - 1u) * C, min(typeId, typeVocabSize - 1u) * C);
}
