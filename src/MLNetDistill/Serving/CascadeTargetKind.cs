namespace MLNetDistill.Serving;

/// <summary>The way a <see cref="CascadeTarget"/> was given.</summary>
internal enum CascadeTargetKind
{
    /// <summary>A share of the teacher's accuracy (or agreement).</summary>
    TeacherQuality,

    /// <summary>The largest share of rows the teacher may take.</summary>
    MaxDeferred,

    /// <summary>The lowest expected cost per row.</summary>
    LowestCost,
}
