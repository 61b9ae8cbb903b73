using Microsoft.ML;
using MLNetDistill.Data;
using MLNetDistill.Experiments;
using MLNetDistill.Tests.Experiments;

namespace MLNetDistill.Tests.Experiments;

/// <summary>
/// One student-size comparison on the latency axis, shared by the experiment and report tests: the real Fashion-MNIST
/// CNN teacher, 700 training and 300 test rows of the embedded t10k set, and five students: sdca, lightgbm:trees=5,
/// mlp:16:epochs=2, a logit-matching chain (which converts: its arg-max is written as ONNX nodes), and an estimator of our
/// own (SDCA then a CustomMapping) that does not convert to ONNX.
/// </summary>
public sealed class LatencyRun : IDisposable
{
    /// <summary>The estimator student's name.</summary>
    public const string CustomStudent = "sdca+topscore";

    /// <summary>The logit-matching student's spec.</summary>
    public const string LogitMatching = "logits:fasttree:trees=3,leaves=4";

    public LatencyRun()
    {
        var ml = new MLContext(seed: 0);
        var data = ml.Data.TakeRows(IdxReader.Load(TestPaths.FashionImages), 1000);
        var trainers = ml.MulticlassClassification.Trainers;
        var custom = trainers.SoftLabel(trainers.SdcaMaximumEntropy(labelColumnName: "Label", exampleWeightColumnName: "Weight", maximumNumberOfIterations: 5))
            .Append(ml.Transforms.CustomMapping(new DistillationResultWriterOnnxTests.TopScoreFactory().GetMapping(), DistillationResultWriterOnnxTests.TopScoreFactory.Contract));
        Result = new StudentSizeExperiment(ml)
            .SetTeacher(TestPaths.FashionTeacher)
            .AddStudents("sdca", "lightgbm:trees=5", "mlp:16:epochs=2", LogitMatching)
            .AddStudent(DistillationStudent.FromEstimator(CustomStudent, custom))
            .SetCostAxis(LeaderboardCostAxis.Latency)
            .SetAccuracyTolerance(0.5)
            .Run(ml.Data.TakeRows(data, 700), ml.Data.SkipRows(data, 700));
    }

    public StudentSizeExperimentResult Result { get; }

    public LeaderboardEntry Entry(string name) => Result.Leaderboard.Entries.Single(e => e.Name == name);

    public void Dispose() => Result.Dispose();
}

/// <summary>The classes that read <see cref="LatencyRun"/>: it is made once for all of them.</summary>
[CollectionDefinition(Name)]
public sealed class LatencyRunCollection : ICollectionFixture<LatencyRun>
{
    public const string Name = "LatencyRun";
}
