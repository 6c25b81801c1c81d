// Small job specs the queue, worker and webhook tests share: each runs in seconds.
import Foundation

/// A 20-step training run on 4 blobs with two evaluations.
public let quickTrain = #"{"kind":"train","name":"hooked","dataset":{"type":"blobs","classes":4,"per_class":20,"dim":4},"model":{"hidden":[16],"embedding_dim":4},"sampler":{"classes_per_batch":4,"samples_per_class":4},"steps":20,"eval_every":10,"estimators":{"iterations":5}}"#

/// An analysis of the five-point toy set with a short f* search.
public let quickAnalyze = #"{"kind":"analyze","dataset":{"type":"toy5"},"iterations":3}"#

/// 2 × 2 cells × 2 seeds of a few steps on blobs.
public let queuedSweep = """
{"kind":"sweep","name":"tiny","base":{"dataset":{"type":"blobs","classes":4,"per_class":20,"dim":6},
 "model":{"hidden":[8]},"sampler":{"classes_per_batch":4},"steps":6,"eval_every":3,"estimators":{"probe_size":16,"iterations":10}},
 "grid":{"seed":[0,1],"model.embedding_dim":[2,4],"sampler.samples_per_class":[2,3]}}
"""
