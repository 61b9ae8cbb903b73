namespace MLNetDistill.Experiments;

/// <summary>What a <see cref="DistillationExperiment"/> is doing when it reports <see cref="DistillationProgress"/>.</summary>
public enum DistillationStage
{
    /// <summary>Checking the inputs, splitting off test rows, opening the teacher.</summary>
    Preparing,

    /// <summary>Running the teacher over one data set (training, transfer or test rows), once.</summary>
    ScoringTeacher,

    /// <summary>Training a student on the soft labels (per-epoch reports carry <see cref="DistillationProgress.Epoch"/>).</summary>
    Training,

    /// <summary>Training a student's hard-label twin.</summary>
    TrainingBaseline,

    /// <summary>Measuring a model on the test rows.</summary>
    Evaluating,

    /// <summary>Training a student's pseudo-label twin (the teacher's arg-max labels as hard labels; per-epoch reports carry <see cref="DistillationProgress.Epoch"/>).</summary>
    TrainingPseudoBaseline,
}
