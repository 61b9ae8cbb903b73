using MLNetDistill.Data;
using MLNetDistill.Numerics;

namespace MLNetDistill.Students;

/// <summary>Options of <see cref="SoftLabelTrainer{TTransformer}"/>: which columns hold the targets, mixing and pruning.</summary>
/// <remarks>The trainer keeps a copy made when it is built: changing the options afterwards does not change it.</remarks>
public sealed class SoftLabelOptions
{
    /// <summary>Gets or sets the teacher's soft-label column (vector of K probabilities).</summary>
    /// <value>Defaults to <c>SoftLabels</c> (<see cref="DataColumnNames.SoftLabels"/>).</value>
    public string SoftLabelsColumnName { get; set; } = DataColumnNames.SoftLabels;

    /// <summary>Gets or sets the hard-label column of the source data (a class index, key or bool); rows where it is missing (NaN) or the column is absent train on soft labels only.</summary>
    /// <value>Defaults to <c>Label</c> (<see cref="DataColumnNames.Label"/>).</value>
    public string SourceLabelColumnName { get; set; } = DataColumnNames.Label;

    /// <summary>Gets or sets alpha in target = alpha * soft + (1 - alpha) * onehot(label), for rows with a hard label. Must be in [0, 1].</summary>
    /// <value>Defaults to 0.5, which beat both pure soft and pure hard targets for LightGbm on Fashion-MNIST (see README).</value>
    public float Alpha { get; set; } = 0.5f;

    /// <summary>Gets or sets how many classes of each row are kept (the most probable ones), 0 for all. Fewer classes train faster.</summary>
    /// <value>Defaults to 3.</value>
    public int TopK { get; set; } = 3;

    /// <summary>Gets or sets the smallest target probability kept; smaller ones are dropped and the rest renormalised. In [0, 1).</summary>
    /// <value>Defaults to 0.01: with a confident teacher most rows keep one or two classes, which keeps training under 2x the hard-label cost.</value>
    public float MinProbability { get; set; } = 0.01f;

    /// <summary>A copy, so that an estimator keeps the options it was built with.</summary>
    internal SoftLabelOptions Clone() => (SoftLabelOptions)MemberwiseClone();

    internal void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(SoftLabelsColumnName, nameof(SoftLabelsColumnName));
        ArgumentException.ThrowIfNullOrWhiteSpace(SourceLabelColumnName, nameof(SourceLabelColumnName));
        SoftLabelMath.CheckAlpha(Alpha, nameof(Alpha));
        ArgumentOutOfRangeException.ThrowIfNegative(TopK, nameof(TopK));
        if (!(MinProbability >= 0f && MinProbability < 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(MinProbability), MinProbability,
                $"MinProbability must be in [0, 1) but was {MinProbability.ToString(System.Globalization.CultureInfo.InvariantCulture)}.");
        }
    }
}
