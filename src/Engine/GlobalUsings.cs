// System.Numerics.Tensors also defines a Tensor type; inside the engine "Tensor" is always ours.
global using Tensor = NativeContrastive.Engine.Tensors.Tensor;
