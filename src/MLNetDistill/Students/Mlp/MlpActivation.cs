namespace MLNetDistill.Students.Mlp;

/// <summary>The activation function after each hidden layer of an MLP student.</summary>
public enum MlpActivation
{
    /// <summary>Rectified linear unit, max(x, 0).</summary>
    ReLU,

    /// <summary>
    /// Gaussian error linear unit (Hendrycks and Gimpel 2016) in its exact form, 0.5 x (1 + erf(x / sqrt 2)), which
    /// ONNX expresses with standard operators (Div, Erf, Add, Mul) and PyTorch computes as nn.GELU() by default.
    /// </summary>
    Gelu,
}
