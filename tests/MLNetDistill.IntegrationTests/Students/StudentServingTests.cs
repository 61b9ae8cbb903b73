using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.LightGbm;
using MLNetDistill.Teachers;
using Xunit.Abstractions;
using MLNetDistill.Data;

namespace MLNetDistill.Tests.Students;

/// <summary>
/// Every student family serves like any ML.NET model: the same <c>PredictedLabel</c>/<c>Score</c> columns (binary: also
/// <c>Probability</c>) in memory and after <c>Model.Save</c>/<c>Load</c>, the same values, the same metrics from
/// ML.NET's evaluators on a plain Single label, <c>CrossValidate</c>, and a <c>PredictionEngine</c> that answers as
/// <c>Transform</c> does.
/// </summary>
public sealed class StudentServingTests(ServingData data, ITestOutputHelper output) : IClassFixture<ServingData>
{
    /// <summary>ONNX Runtime one row at a time (ApplyOnnxModel, PredictionEngine) against batches: float rounding only.</summary>
    private const double Tolerance = 1e-5;

    private const int EngineRows = 25;

    public static TheoryData<string> Families => ["sdca", "lbfgs", "lightgbm", "fasttree-ova", "logits-fasttree", "mlp", "mlp-binary", "mlp-regression"];

    [Theory]
    [MemberData(nameof(Families))]
    public void Student_InMemoryAndLoaded_ServeSameColumnsValuesMetricsAndPredictions(string family)
    {
        var ml = new MLContext(1);
        var (task, trainer) = Make(ml, family);
        var split = data.For(task);
        var model = trainer.Fit(split.Train);
        try
        {
            string zip = TestPaths.TempFile(".zip");
            ml.Model.Save(model, split.Test.Schema, zip);
            var loader = new MLContext(2);
            loader.ComponentCatalog.RegisterAssembly(typeof(MlpStudentCatalog).Assembly);
            var loaded = loader.Model.Load(zip, out var loadedInput);
            File.Delete(zip);
            try
            {
                Assert.NotNull(loadedInput.GetColumnOrNull("Features"));
                var memory = model.Transform(split.Test);
                var reloaded = loaded.Transform(split.Test);

                // Same columns: types, and the predicted label's key values.
                foreach (string column in Columns(task))
                {
                    Assert.Equal(memory.Schema[column].Type, reloaded.Schema[column].Type);
                }

                var memoryRows = Rows(memory, task);
                AssertSameRows(memoryRows, Rows(reloaded, task));
                if (task == TeacherTask.Multiclass)
                {
                    AssertMulticlassServing(ml, loader, memory, reloaded, split);
                }
                else if (task == TeacherTask.Binary)
                {
                    Assert.Equal(BooleanDataViewType.Instance, memory.Schema["PredictedLabel"].Type);
                    var before = ml.BinaryClassification.Evaluate(memory, "Label");
                    var after = loader.BinaryClassification.Evaluate(reloaded, "Label");
                    output.WriteLine($"{family}: accuracy {before.Accuracy:F4}, AUC {before.AreaUnderRocCurve:F4}");
                    Assert.Equal(before.Accuracy, after.Accuracy, 10);
                    Assert.Equal(before.AreaUnderRocCurve, after.AreaUnderRocCurve, 6);
                    Assert.InRange(before.Accuracy, 0.8, 1.0);
                }
                else
                {
                    Assert.Equal(NumberDataViewType.Single, memory.Schema["Score"].Type);
                    var before = ml.Regression.Evaluate(memory, "Label");
                    var after = loader.Regression.Evaluate(reloaded, "Label");
                    output.WriteLine($"{family}: RMSE {before.RootMeanSquaredError:F3}");
                    Assert.Equal(before.RootMeanSquaredError, after.RootMeanSquaredError, new FloatComparer(Tolerance));
                    Assert.True(double.IsFinite(before.RootMeanSquaredError));
                }

                // A PredictionEngine answers as Transform does, in memory and loaded.
                var features = split.Test.GetColumn<float[]>("Features").Take(EngineRows).ToArray();
                AssertSameRows(memoryRows.Take(EngineRows).ToArray(), Predict(ml, model, task, split.Width, features));
                AssertSameRows(memoryRows.Take(EngineRows).ToArray(), Predict(loader, loaded, task, split.Width, features));
            }
            finally
            {
                (loaded as IDisposable)?.Dispose();
            }
        }
        finally
        {
            (model as IDisposable)?.Dispose();
        }

        // CrossValidate runs every family (each fold fits the estimator and ML.NET's evaluator reads its columns).
        CrossValidate(ml, task, trainer, split.Train);
    }

    /// <summary>The trainer of a family of this test, small enough to fit in a second on <see cref="ServingData"/>.</summary>
    internal static (TeacherTask Task, IEstimator<ITransformer> Trainer) Make(MLContext ml, string family)
    {
        var multiclass = ml.MulticlassClassification.Trainers;
        return family switch
        {
            "sdca" => (TeacherTask.Multiclass, multiclass.SoftLabel(multiclass.SdcaMaximumEntropy(labelColumnName: "Label", exampleWeightColumnName: "Weight", maximumNumberOfIterations: 5))),
            "lbfgs" => (TeacherTask.Multiclass, multiclass.SoftLabel(multiclass.LbfgsMaximumEntropy(labelColumnName: "Label", exampleWeightColumnName: "Weight", historySize: 5))),
            "lightgbm" => (TeacherTask.Multiclass, multiclass.SoftLabel(multiclass.LightGbm(new LightGbmMulticlassTrainer.Options
            {
                LabelColumnName = "Label", ExampleWeightColumnName = "Weight", NumberOfIterations = 10, NumberOfLeaves = 8,
                Seed = 1, Deterministic = true, NumberOfThreads = 1, ForceColumnWise = true,
            }))),
            "fasttree-ova" => (TeacherTask.Multiclass, multiclass.SoftLabel(multiclass.OneVersusAll(
                ml.BinaryClassification.Trainers.FastTree(exampleWeightColumnName: "Weight", numberOfTrees: 3, numberOfLeaves: 4), labelColumnName: "Label"))),
            "logits-fasttree" => (TeacherTask.Multiclass, multiclass.LogitMatching(label => ml.Regression.Trainers.FastTree(labelColumnName: label, numberOfTrees: 3, numberOfLeaves: 4))),
            "mlp" => (TeacherTask.Multiclass, multiclass.DistillMlp(Mlp([16], epochs: 3))),
            "mlp-binary" => (TeacherTask.Binary, ml.BinaryClassification.Trainers.DistillMlp(Mlp([4], epochs: 5))),
            "mlp-regression" => (TeacherTask.Regression, ml.Regression.Trainers.DistillMlp(Mlp([4], epochs: 5))),
            _ => throw new ArgumentOutOfRangeException(nameof(family), family, "not a family of this test"),
        };
    }

    private static MLNetDistill.Students.Mlp.MlpStudentOptions Mlp(int[] hidden, int epochs)
    {
        var options = new MLNetDistill.Students.Mlp.MlpStudentOptions();
        options.Network.HiddenLayerSizes = hidden;
        options.Network.Epochs = epochs;
        options.Network.BatchSize = 32;
        options.Network.LearningRate = 3e-3f;
        options.Network.Seed = 3;
        return options;
    }

    private static string[] Columns(TeacherTask task) => task switch
    {
        TeacherTask.Multiclass => ["Score", "PredictedLabel"],
        TeacherTask.Binary => ["Score", "Probability", "PredictedLabel"],
        _ => ["Score"],
    };

    private void AssertMulticlassServing(MLContext ml, MLContext loader, IDataView memory, IDataView reloaded, ServingData.Split split)
    {
        Assert.Equal(new VectorDataViewType(NumberDataViewType.Single, 10), memory.Schema["Score"].Type);
        Assert.Equal(new KeyDataViewType(typeof(uint), 10), memory.Schema["PredictedLabel"].Type);

        // The key values are the label's own values (Single 0..9 for this Single label), the same after loading.
        var classes = ClassValues.FromKeyValues(memory.Schema["PredictedLabel"]);
        Assert.NotNull(classes);
        Assert.True(classes.IsIndices && classes.ItemType == NumberDataViewType.Single, classes.Describe());
        Assert.True(classes.SameValues(ClassValues.FromKeyValues(reloaded.Schema["PredictedLabel"])!));

        // Evaluate on the plain Single label gives the accuracy counted by hand from PredictedLabel, before and after loading.
        var before = ml.MulticlassClassification.Evaluate(memory, "Label");
        var after = loader.MulticlassClassification.Evaluate(reloaded, "Label");
        var predicted = memory.GetColumn<uint>("PredictedLabel").ToArray();
        var labels = split.Test.GetColumn<float>("Label").ToArray();
        double byHand = predicted.Zip(labels, (p, y) => p - 1 == y ? 1.0 : 0.0).Average();
        output.WriteLine($"accuracy {before.MicroAccuracy:F4} (by hand {byHand:F4}), log-loss {before.LogLoss:F4}");
        Assert.Equal(byHand, before.MicroAccuracy, 10);
        Assert.Equal(before.MicroAccuracy, after.MicroAccuracy, 10);
        Assert.Equal(before.MacroAccuracy, after.MacroAccuracy, 10);
        Assert.Equal(before.LogLoss, after.LogLoss, new FloatComparer(Tolerance));
        Assert.InRange(before.MicroAccuracy, 0.4, 1.0);

        // MapKeyToValue turns the predicted key back into a label value.
        var values = ml.Transforms.Conversion.MapKeyToValue("PredictedValue", "PredictedLabel").Fit(reloaded).Transform(reloaded).GetColumn<float>("PredictedValue").ToArray();
        Assert.Equal(predicted.Select(p => (float)(p - 1)), values);
    }

    /// <summary>Per row: the predicted label as a number (key or 0/1), then the score(s), then the probability.</summary>
    private static float[][] Rows(IDataView predictions, TeacherTask task) => task switch
    {
        TeacherTask.Multiclass => predictions.GetColumn<uint>("PredictedLabel").Zip(predictions.GetColumn<float[]>("Score"), (p, s) => (float[])[p, .. s]).ToArray(),
        TeacherTask.Binary => predictions.GetColumn<bool>("PredictedLabel").Zip(predictions.GetColumn<float>("Score"), predictions.GetColumn<float>("Probability"))
            .Select(r => new[] { r.First ? 1f : 0f, r.Second, r.Third }).ToArray(),
        _ => predictions.GetColumn<float>("Score").Select(s => new[] { s }).ToArray(),
    };

    private static float[][] Predict(MLContext ml, ITransformer model, TeacherTask task, int width, float[][] features)
    {
        var definition = SchemaDefinition.Create(typeof(FeaturesRow));
        definition["Features"].ColumnType = new VectorDataViewType(NumberDataViewType.Single, width);
        var inputs = features.Select(f => new FeaturesRow { Features = f });
        switch (task)
        {
            case TeacherTask.Multiclass:
            {
                using var engine = ml.Model.CreatePredictionEngine<FeaturesRow, MulticlassPrediction>(model, inputSchemaDefinition: definition);
                return inputs.Select(engine.Predict).Select(p => (float[])[p.PredictedLabel, .. p.Score]).ToArray();
            }

            case TeacherTask.Binary:
            {
                using var engine = ml.Model.CreatePredictionEngine<FeaturesRow, BinaryPrediction>(model, inputSchemaDefinition: definition);
                return inputs.Select(engine.Predict).Select(p => new[] { p.PredictedLabel ? 1f : 0f, p.Score, p.Probability }).ToArray();
            }

            default:
            {
                using var engine = ml.Model.CreatePredictionEngine<FeaturesRow, RegressionPrediction>(model, inputSchemaDefinition: definition);
                return inputs.Select(engine.Predict).Select(p => new[] { p.Score }).ToArray();
            }
        }
    }

    private static void AssertSameRows(float[][] expected, float[][] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int r = 0; r < expected.Length; r++)
        {
            Assert.Equal(expected[r].Length, actual[r].Length);
            if (expected[r].Length > 1)
            {
                Assert.Equal(expected[r][0], actual[r][0]); // the predicted label, exactly (a one-value row is a regression score)
            }

            Assert.Equal(expected[r], actual[r], new FloatComparer(Tolerance));
        }
    }

    private static void CrossValidate(MLContext ml, TeacherTask task, IEstimator<ITransformer> trainer, IDataView train)
    {
        switch (task)
        {
            case TeacherTask.Multiclass:
            {
                var folds = ml.MulticlassClassification.CrossValidate(train, trainer, numberOfFolds: 2, labelColumnName: "Label");
                Assert.Equal(2, folds.Count);
                Assert.All(folds, f => Assert.InRange(f.Metrics.MicroAccuracy, 0.2, 1.0));
                Dispose(folds.Select(f => f.Model));
                break;
            }

            case TeacherTask.Binary:
            {
                var folds = ml.BinaryClassification.CrossValidate(train, trainer, numberOfFolds: 2, labelColumnName: "Label");
                Assert.Equal(2, folds.Count);
                Assert.All(folds, f => Assert.InRange(f.Metrics.Accuracy, 0.6, 1.0));
                Dispose(folds.Select(f => f.Model));
                break;
            }

            default:
            {
                var folds = ml.Regression.CrossValidate(train, trainer, numberOfFolds: 2, labelColumnName: "Label");
                Assert.Equal(2, folds.Count);
                Assert.All(folds, f => Assert.True(double.IsFinite(f.Metrics.RootMeanSquaredError)));
                Dispose(folds.Select(f => f.Model));
                break;
            }
        }
    }

    private static void Dispose(IEnumerable<ITransformer> models)
    {
        foreach (var model in models)
        {
            (model as IDisposable)?.Dispose();
        }
    }

    private sealed class FeaturesRow
    {
        public float[] Features { get; set; } = [];
    }

    private sealed class MulticlassPrediction
    {
        public uint PredictedLabel { get; set; }

        public float[] Score { get; set; } = [];
    }

    private sealed class BinaryPrediction
    {
        public bool PredictedLabel { get; set; }

        public float Score { get; set; }

        public float Probability { get; set; }
    }

    private sealed class RegressionPrediction
    {
        public float Score { get; set; }
    }
}
