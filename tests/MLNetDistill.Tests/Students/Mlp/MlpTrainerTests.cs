using System.Globalization;
using MLNetDistill.Students.Mlp;
using MLNetDistill.Numerics;

namespace MLNetDistill.Tests.Students.Mlp;

public sealed class MlpTrainerTests
{
    [Fact]
    public void Wine_StudentLearnsWellAboveChance()
    {
        // sklearn's wine data (178 rows, 13 features, 3 classes; Fixtures/wine_data.csv, copied from python3-sklearn),
        // standardised. The "teacher" is the label smoothed to 0.9 / 0.05 / 0.05, so this checks that the student learns.
        var (features, labels) = LoadWine();
        float[] soft = new float[labels.Length * 3];
        for (int r = 0; r < labels.Length; r++)
        {
            for (int k = 0; k < 3; k++)
            {
                soft[(r * 3) + k] = k == labels[r] ? 0.9f : 0.05f;
            }
        }

        var options = new MlpTrainerOptions
        {
            HiddenLayerSizes = [16],
            Epochs = 60,
            BatchSize = 16,
            LearningRate = 0.01f,
            Temperature = 1f,
            ValidationFraction = 0.3f,
            EarlyStoppingPatience = 0,
            Seed = 1,
        };
        var reports = new List<MlpEpochProgress>();
        var trainer = new MlpTrainer(options);
        var model = trainer.Train(new MlpTrainingData(features, 13, 3, soft, labels), new SyncProgress(reports));
        Assert.Equal(60, reports.Count);
        Assert.All(reports, r => Assert.NotNull(r.ValidationAccuracy));
        Assert.True(reports[^1].TrainLoss < reports[0].TrainLoss / 2, $"train loss went from {reports[0].TrainLoss} to {reports[^1].TrainLoss}");
        double best = reports.Where(r => r.IsBest).Last().ValidationAccuracy!.Value;
        Assert.True(best >= 0.9, $"validation accuracy {best}; chance is about 0.4");

        // The returned model scores rows itself, as well as on held-out rows.
        float[] logits = new float[labels.Length * 3];
        model.Predict(features, labels.Length, logits);
        int correct = 0;
        for (int r = 0; r < labels.Length; r++)
        {
            correct += MLNetDistill.Numerics.SoftLabelMath.ArgMax(logits.AsSpan(r * 3, 3)) == labels[r] ? 1 : 0;
        }

        Assert.True(correct >= 0.9 * labels.Length, $"{correct} of {labels.Length} right");
        Assert.Same(model, trainer.Model);
    }

    [Fact]
    public void SameSeed_GivesBitIdenticalWeights_WhateverTheThreadCount()
    {
        var data = Synthetic(300, 12, 4, seed: 3, withLogits: true, hintSize: 5);
        MlpTrainerOptions Options(int threads, int seed) => new()
        {
            HiddenLayerSizes = [40, 24],
            Activation = MlpActivation.Gelu,
            LayerNorm = true,
            DropoutRate = 0.2f,
            Epochs = 3,
            BatchSize = 64,
            ValidationFraction = 0.2f,
            WarmupEpochs = 0.5,
            LogitMatchingWeight = 0.1f,
            HintWeight = 0.5f,
            RelationalWeight = 0.2f,
            NumberOfThreads = threads,
            Seed = seed,
        };

        float[] first = new MlpTrainer(Options(2, 7)).Train(data).Parameters.Values;

        // Shift where the next run's buffers land in memory: results must not depend on alignment.
        object[] ballast = [new byte[12_345], new float[777], new double[3]];
        float[] second = new MlpTrainer(Options(2, 7)).Train(data).Parameters.Values;
        GC.KeepAlive(ballast);
        float[] oneThread = new MlpTrainer(Options(1, 7)).Train(data).Parameters.Values;
        float[] otherSeed = new MlpTrainer(Options(2, 8)).Train(data).Parameters.Values;
        Assert.Equal(first, second);
        Assert.Equal(first, oneThread);
        Assert.NotEqual(first, otherSeed);
    }

    [Fact]
    public void TrainingSteps_AllocateNothing()
    {
        // Everything is allocated before the first step (or on it, for buffers sized by the first batch); more epochs
        // of more steps must not allocate more. Counted on this thread, which runs every step's orchestration and loss.
        var data = Synthetic(1024, 20, 5, seed: 8, withLogits: true, hintSize: 6);
        long Allocated(int epochs)
        {
            var options = new MlpTrainerOptions
            {
                HiddenLayerSizes = [48, 32],
                Activation = MlpActivation.Gelu,
                LayerNorm = true,
                DropoutRate = 0.1f,
                Epochs = epochs,
                BatchSize = 32,
                ValidationFraction = 0.25f,
                EarlyStoppingPatience = 0,
                HintWeight = 0.3f,
                RelationalWeight = 0.1f,
                LogitMatchingWeight = 0.1f,
                NumberOfThreads = 2,
            };
            long before = GC.GetAllocatedBytesForCurrentThread();
            new MlpTrainer(options).Train(data);
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }

        Allocated(1); // JIT and first-use costs
        long two = Allocated(2);
        long six = Allocated(6);

        // 4 more epochs of 24 steps and 8 validation batches each: a progress record per epoch, nothing per step.
        Assert.True(six - two < 4 * 1024, $"2 epochs allocated {two} bytes, 6 epochs {six}");
    }

    [Fact]
    public void Sgd_WithNesterov_AndNoValidation_Trains()
    {
        var data = Synthetic(256, 8, 3, seed: 4, withLogits: false, hintSize: 0);
        var reports = new List<MlpEpochProgress>();
        new MlpTrainer(new MlpTrainerOptions
        {
            HiddenLayerSizes = [32],
            Optimizer = MlpOptimizer.Sgd,
            Nesterov = true,
            LearningRate = 0.05f,
            Epochs = 8,
            BatchSize = 32,
            ValidationFraction = 0f,
            CosineDecay = false,
        }).Train(data, new SyncProgress(reports));
        Assert.Equal(8, reports.Count);
        Assert.All(reports, r => Assert.Null(r.ValidationLoss));
        Assert.True(reports[^1].TrainLoss < reports[0].TrainLoss);
    }

    [Fact]
    public void EarlyStopping_StopsAndRestoresBest()
    {
        // Random targets: validation loss soon stops improving while the student memorises the training rows.
        var data = Synthetic(200, 10, 3, seed: 5, withLogits: false, hintSize: 0, learnable: false);
        var reports = new List<MlpEpochProgress>();
        var model = new MlpTrainer(new MlpTrainerOptions
        {
            HiddenLayerSizes = [128],
            LearningRate = 0.01f,
            Epochs = 200,
            BatchSize = 16,
            ValidationFraction = 0.3f,
            EarlyStoppingPatience = 3,
            CosineDecay = false,
        }).Train(data, new SyncProgress(reports));
        Assert.True(reports.Count < 200, "should have stopped early");
        Assert.False(reports[^1].IsBest);
        Assert.True(reports.Skip(reports.Count - 3).All(r => !r.IsBest));
    }

    [Fact]
    public void ExplodingLearningRate_StopsWithAClearError_AndKeepsGoodWeights()
    {
        var data = Synthetic(256, 8, 3, seed: 6, withLogits: false, hintSize: 0);
        var trainer = new MlpTrainer(new MlpTrainerOptions
        {
            HiddenLayerSizes = [32, 32],
            Optimizer = MlpOptimizer.Sgd,
            LearningRate = 1e8f,
            Epochs = 5,
            BatchSize = 32,
            ValidationFraction = 0f,
        });
        var ex = Assert.Throws<ArithmeticException>(() => trainer.Train(data));
        Assert.Contains("epoch 1", ex.Message);
        Assert.Contains("Lower the learning rate", ex.Message);
        Assert.NotNull(trainer.Model);
        Assert.All(trainer.Model!.Parameters.Values, v => Assert.True(float.IsFinite(v)));
    }

    [Theory]
    [InlineData("HiddenLayerSizes", "0")]
    [InlineData("Epochs", "-1")]
    [InlineData("LearningRate", "0")]
    [InlineData("LearningRate", "NaN")]
    [InlineData("LearningRate", "-0.1")]
    [InlineData("BatchSize", "0")]
    [InlineData("DropoutRate", "1")]
    [InlineData("ValidationFraction", "1")]
    [InlineData("Temperature", "0")]
    [InlineData("Alpha", "1.5")]
    [InlineData("WeightDecay", "-1")]
    [InlineData("NumberOfThreads", "0")]
    [InlineData("HintLayer", "3")]
    public void BadOption_ThrowsNamingItsValueAndRange(string option, string value)
    {
        var options = new MlpTrainerOptions();
        float f = float.Parse(value, CultureInfo.InvariantCulture);
        switch (option)
        {
            case "HiddenLayerSizes": options.HiddenLayerSizes = [64, (int)f]; break;
            case "Epochs": options.Epochs = (int)f; break;
            case "LearningRate": options.LearningRate = f; break;
            case "BatchSize": options.BatchSize = (int)f; break;
            case "DropoutRate": options.DropoutRate = f; break;
            case "ValidationFraction": options.ValidationFraction = f; break;
            case "Temperature": options.Temperature = f; break;
            case "Alpha": options.Alpha = f; break;
            case "WeightDecay": options.WeightDecay = f; break;
            case "NumberOfThreads": options.NumberOfThreads = (int)f; break;
            case "HintLayer": options.HintLayer = (int)f; break;
        }

        var data = Synthetic(20, 4, 2, seed: 1, withLogits: false, hintSize: 0);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new MlpTrainer(options).Train(data));
        Assert.Equal(option, ex.ParamName);
        Assert.Contains(value, ex.Message);
        Assert.Contains(option == "HiddenLayerSizes" ? "positive" : "must be", ex.Message);
    }

    [Fact]
    public void MissingTeacherOutputs_ForTheChosenTerms_Throw()
    {
        var data = Synthetic(20, 4, 2, seed: 1, withLogits: false, hintSize: 0);
        var ex = Assert.Throws<ArgumentException>(() => new MlpTrainer(new MlpTrainerOptions { LogitMatchingWeight = 1f }).Train(data));
        Assert.Contains("teacher's logits", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => new MlpTrainer(new MlpTrainerOptions { HintWeight = 1f }).Train(data));
        Assert.Contains("hint", ex.Message);
    }

    [Fact]
    public void BadData_ThrowsNamingTheRow()
    {
        float[] features = new float[12];
        features[7] = float.NaN;
        var ex = Assert.Throws<ArgumentException>(() => new MlpTrainingData(features, 4, 2, new float[6]));
        Assert.Contains("row 1, column 3", ex.Message);
        var ragged = Assert.Throws<ArgumentException>(() => new MlpTrainingData(new float[12], 5, 2, new float[6]));
        Assert.Equal("features", ragged.ParamName);
        Assert.Contains("Features must be rows x 5 values, but 12 values is not a positive multiple of 5.", ragged.Message, StringComparison.Ordinal);
        var label = Assert.Throws<ArgumentOutOfRangeException>(() => new MlpTrainingData(new float[12], 4, 2, new float[6], labels: new[] { 0, 2, 1 }));
        Assert.Equal("labels", label.ParamName);
        Assert.Contains("Hard label 2 is outside the class range [0, 1].", label.Message, StringComparison.Ordinal);
    }

    internal static MlpTrainingData Synthetic(int rows, int features, int classes, int seed, bool withLogits, int hintSize, bool learnable = true)
    {
        var rng = new Random(seed);
        float[] x = MlpGradientTests.Random(rng, rows * features, 1);
        float[] w = MlpGradientTests.Random(rng, features * classes, 2);
        float[] logits = new float[rows * classes];
        float[] soft = new float[rows * classes];
        int[] labels = new int[rows];
        float[] hints = new float[rows * hintSize];
        for (int r = 0; r < rows; r++)
        {
            for (int k = 0; k < classes; k++)
            {
                float z = 0;
                for (int j = 0; j < features; j++)
                {
                    z += x[(r * features) + j] * w[(j * classes) + k];
                }

                logits[(r * classes) + k] = learnable ? z : (float)((rng.NextDouble() * 6) - 3);
            }

            MLNetDistill.Numerics.SoftLabelMath.Softmax(logits.AsSpan(r * classes, classes), 4f, soft.AsSpan(r * classes, classes));
            labels[r] = learnable ? MLNetDistill.Numerics.SoftLabelMath.ArgMax(logits.AsSpan(r * classes, classes)) : rng.Next(classes);
            for (int j = 0; j < hintSize; j++)
            {
                hints[(r * hintSize) + j] = MathF.Tanh(x[(r * features) + (j % features)]);
            }
        }

        return new MlpTrainingData(x, features, classes, soft, labels, withLogits ? logits : default, hintSize > 0 ? hints : default, hintSize);
    }

    private static (float[] Features, int[] Labels) LoadWine()
    {
        string[] lines = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Fixtures", "wine_data.csv"));
        int rows = lines.Length - 1;
        float[] x = new float[rows * 13];
        int[] y = new int[rows];
        for (int r = 0; r < rows; r++)
        {
            string[] cells = lines[r + 1].Split(',');
            for (int j = 0; j < 13; j++)
            {
                x[(r * 13) + j] = float.Parse(cells[j], CultureInfo.InvariantCulture);
            }

            y[r] = int.Parse(cells[13], CultureInfo.InvariantCulture);
        }

        for (int j = 0; j < 13; j++)
        {
            double mean = 0, sq = 0;
            for (int r = 0; r < rows; r++)
            {
                mean += x[(r * 13) + j];
            }

            mean /= rows;
            for (int r = 0; r < rows; r++)
            {
                sq += Math.Pow(x[(r * 13) + j] - mean, 2);
            }

            double std = Math.Sqrt(sq / rows);
            for (int r = 0; r < rows; r++)
            {
                x[(r * 13) + j] = (float)((x[(r * 13) + j] - mean) / std);
            }
        }

        return (x, y);
    }

    /// <summary>Collects reports synchronously (Progress&lt;T&gt; would post them to the thread pool).</summary>
    internal sealed class SyncProgress(List<MlpEpochProgress> reports) : IProgress<MlpEpochProgress>
    {
        public void Report(MlpEpochProgress value) => reports.Add(value);
    }
}
