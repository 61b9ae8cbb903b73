namespace MLNetDistill.Students;

/// <summary>The column names the registry's ML.NET students agree on with <see cref="SoftLabelTrainer{TTransformer}"/>.</summary>
internal static class SoftLabelTrainerColumns
{
    /// <summary>The example weight column the expanded rows carry (each kept class's share of the target).</summary>
    public const string Weight = "Weight";
}
