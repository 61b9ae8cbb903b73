using Microsoft.ML.Data;
using Microsoft.ML.Transforms;

namespace MLNetDistill.Serving;

/// <summary>
/// The saved cascade's step that turns the ONNX graph's one-value <c>CascadeDeferred</c> tensor into the scalar
/// <c>Deferred</c> column, by ML.NET's <c>CustomMapping</c> (stored by contract name in saved models).
/// </summary>
[CustomMappingFactoryAttribute(Contract)]
internal sealed class CascadeDeferredFactory : CustomMappingFactory<CascadeDeferredFactory.Tensor, CascadeDeferredFactory.Flag>
{
    /// <summary>The contract name stored in saved models; never change it.</summary>
    public const string Contract = "MLNetDistill.CascadeDeferred";

    /// <inheritdoc/>
    public override Action<Tensor, Flag> GetMapping() => (input, output) => output.Deferred = input.CascadeDeferred.Length > 0 && input.CascadeDeferred[0];

    /// <summary>The graph's output: one bool.</summary>
    public sealed class Tensor
    {
        /// <summary>Gets or sets whether the row was deferred, as a one-value vector.</summary>
        [VectorType]
        public bool[] CascadeDeferred { get; set; } = [];
    }

    /// <summary>The scalar column.</summary>
    public sealed class Flag
    {
        /// <summary>Gets or sets whether the teacher answered the row.</summary>
        public bool Deferred { get; set; }
    }
}
