namespace MLNetDistill.Students.Mlp;

/// <summary>Which optimizer trains an MLP student.</summary>
public enum MlpOptimizer
{
    /// <summary>Adam with decoupled weight decay (Loshchilov and Hutter 2019), as PyTorch's torch.optim.AdamW.</summary>
    AdamW,

    /// <summary>Stochastic gradient descent with momentum (optionally Nesterov's), as PyTorch's torch.optim.SGD.</summary>
    Sgd,
}
