// Package learn holds the reference models poisonguard trains in drills
// and uses for out-of-sample probabilities and embeddings: softmax
// logistic regression, a multi-layer perceptron with ReLU, and a small
// convolutional network (two convolution + max-pooling blocks and a dense
// layer), trained by minibatch SGD with momentum or Adam.
//
// Storage is float32; the matrix products go through internal/gemm, which
// uses both cores and SIMD kernels where the CPU has them. Training is
// reproducible: the same seed gives the same model whatever the thread
// count, because no sum's order depends on how the work is split.
//
// A dense layer's weight is out×in, as in PyTorch; rows of images, feature
// maps and convolution filters (filters×k×k×channels) are stored
// height×width×channels, so a flattened feature map is in HWC order.
package learn
