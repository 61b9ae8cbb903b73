using MLNetDistill.Students.Mlp;

namespace MLNetDistill.Tests.Students.Mlp;

/// <summary>The automatic schedule (<see cref="MlpTrainerOptions.Epochs"/> = 0): search on the validation slice, cool-down, refit.</summary>
public sealed class MlpAutoScheduleTests
{
    [Fact]
    public void Train_AutoEpochsOnATeacherItCannotGeneralise_StopsEarlyCoolsDownAndRefitsEveryRow()
    {
        // Random teacher outputs: the held-out divergence soon stops improving while the student memorises its rows.
        var data = MlpTrainerTests.Synthetic(1000, 10, 3, seed: 11, withLogits: false, hintSize: 0, learnable: false);
        var options = new MlpTrainerOptions { HiddenLayerSizes = [64], BatchSize = 32, LearningRate = 3e-3f, NumberOfThreads = 1 };
        Assert.Equal(0, options.Epochs); // the default is automatic
        var reports = new List<MlpEpochProgress>();
        var trainer = new MlpTrainer(options);
        trainer.Train(data, new MlpTrainerTests.SyncProgress(reports));

        var search = reports.Where(r => !r.Refit).ToList();
        var refit = reports.Where(r => r.Refit).ToList();
        int trainRows = 1000 - 100;
        int stepsPerEpoch = (trainRows + 31) / 32;
        int patience = Math.Max(options.EarlyStoppingPatience, (MlpTrainer.AutoPatienceSteps + stepsPerEpoch - 1) / stepsPerEpoch);
        int cap = MlpTrainer.AutoEpochCap(stepsPerEpoch);

        // The plateau: the first epoch after which `patience` epochs in a row brought no better score.
        int lastBest = 0, plateau = -1;
        for (int i = 0; i < search.Count && plateau < 0; i++)
        {
            lastBest = search[i].IsBest ? i + 1 : lastBest;
            plateau = i + 1 - lastBest >= patience ? i + 1 : -1;
        }

        Assert.True(plateau > 0 && plateau < cap / 2, $"plateau at epoch {plateau} of a {cap}-epoch budget");
        int coolDown = Math.Max(MlpTrainer.CoolDownMinEpochs, (int)Math.Ceiling(MlpTrainer.CoolDownFraction * plateau));
        Assert.Equal(plateau + coolDown, search.Count);

        // A constant rate until the plateau, then a half cosine down to about 0.
        Assert.All(search.Take(plateau), r => Assert.Equal(options.LearningRate, (float)r.LearningRate));
        for (int i = plateau; i < search.Count; i++)
        {
            Assert.True(search[i].LearningRate < search[i - 1].LearningRate, $"epoch {i + 1} did not lower the rate");
        }

        Assert.True(search[^1].LearningRate < 0.02 * options.LearningRate);

        // Every search epoch was scored against the teacher; the refit repeats the schedule on every row, unscored.
        Assert.All(search, r => Assert.NotNull(r.ValidationDivergence));
        Assert.All(search, r => Assert.NotNull(r.ValidationAgreement));
        Assert.Equal(search.Count, refit.Count);
        Assert.All(refit, r => Assert.Null(r.ValidationDivergence));
        Assert.All(refit.Take(plateau), r => Assert.Equal(options.LearningRate, (float)r.LearningRate));
        Assert.True(refit[^1].LearningRate < 0.02 * options.LearningRate);
        Assert.Equal(search.Count, trainer.EpochsRun);
        Assert.Equal(cap, trainer.MaxEpochs);
    }

    [Theory]
    [InlineData(0.9f)]
    [InlineData(0f)]
    public void Train_AutoEpochs_ScoresEpochsByTeacherDivergenceOrHardLabelLoss(float alpha)
    {
        // A learnable teacher whose hard labels disagree with it on about a third of the rows, so the two criteria differ.
        var data = MlpTrainerTests.Synthetic(800, 10, 3, seed: 12, withLogits: false, hintSize: 0);
        var rng = new Random(5);
        int[] labels = data.Labels.ToArray();
        for (int r = 0; r < labels.Length; r++)
        {
            labels[r] = rng.Next(3) == 0 ? rng.Next(3) : labels[r];
        }

        data = new MlpTrainingData(data.Features, data.FeatureCount, data.ClassCount, data.SoftLabels, labels);
        var reports = new List<MlpEpochProgress>();
        new MlpTrainer(new MlpTrainerOptions { HiddenLayerSizes = [32], BatchSize = 32, LearningRate = 3e-3f, Alpha = alpha, NumberOfThreads = 1 })
            .Train(data, new MlpTrainerTests.SyncProgress(reports));

        // An epoch is the best so far exactly when its score (the distilled student's divergence from the teacher,
        // or the hard-label student's own validation loss) is the lowest so far.
        var search = reports.Where(r => !r.Refit).ToList();
        Assert.True(search.Count > 5);
        double best = double.PositiveInfinity;
        foreach (var r in search)
        {
            double score = alpha > 0 ? r.ValidationDivergence!.Value : r.ValidationLoss!.Value;
            Assert.Equal(score < best, r.IsBest);
            best = Math.Min(best, score);
        }
    }

    [Fact]
    public void Train_AutoEpochsSameSeed_GivesBitIdenticalModelWhateverTheThreadCount()
    {
        var data = MlpTrainerTests.Synthetic(600, 12, 4, seed: 13, withLogits: true, hintSize: 0);
        (float[] Weights, int Epochs) Run(int threads, int seed)
        {
            var trainer = new MlpTrainer(new MlpTrainerOptions { HiddenLayerSizes = [24], BatchSize = 32, DropoutRate = 0.1f, NumberOfThreads = threads, Seed = seed });
            return (trainer.Train(data).Parameters.Values, trainer.EpochsRun);
        }

        var first = Run(2, 3);
        var second = Run(2, 3);
        var oneThread = Run(1, 3);
        var otherSeed = Run(2, 4);
        Assert.Equal(first.Epochs, second.Epochs);
        Assert.Equal(first.Weights, second.Weights);
        Assert.Equal(first.Epochs, oneThread.Epochs);
        Assert.Equal(first.Weights, oneThread.Weights);
        Assert.NotEqual(first.Weights, otherSeed.Weights);
    }

    [Fact]
    public void Train_AutoEpochsWithoutValidation_RunsTheStepBudgetWithCosineDecay()
    {
        var data = MlpTrainerTests.Synthetic(640, 6, 3, seed: 14, withLogits: false, hintSize: 0);
        var reports = new List<MlpEpochProgress>();
        var trainer = new MlpTrainer(new MlpTrainerOptions { HiddenLayerSizes = [8], ValidationFraction = 0f, NumberOfThreads = 1 });
        trainer.Train(data, new MlpTrainerTests.SyncProgress(reports));

        int stepsPerEpoch = 640 / 128;
        int epochs = MlpTrainer.AutoEpochCap(stepsPerEpoch);
        Assert.Equal(Math.Min(MlpTrainer.AutoMaxEpochs, MlpTrainer.AutoMinSteps / stepsPerEpoch), epochs);
        Assert.Equal(epochs, reports.Count);
        Assert.All(reports, r => Assert.False(r.Refit));
        Assert.True(reports[epochs / 2].LearningRate is > 4e-4 and < 6e-4, $"mid-run rate {reports[epochs / 2].LearningRate}");
        Assert.True(reports[^1].LearningRate < 1e-6);
    }

    [Fact]
    public void Train_AutoEpochs_AllocatesNothingPerStep()
    {
        // Two automatic runs of different lengths (the patience sets where the search cools down) must allocate the same.
        var data = MlpTrainerTests.Synthetic(1024, 20, 5, seed: 15, withLogits: true, hintSize: 0, learnable: false);
        (long Bytes, int Epochs) Allocated(int patience)
        {
            var options = new MlpTrainerOptions { HiddenLayerSizes = [32], BatchSize = 16, EarlyStoppingPatience = patience, NumberOfThreads = 2 };
            var trainer = new MlpTrainer(options);
            long before = GC.GetAllocatedBytesForCurrentThread();
            trainer.Train(data);
            return (GC.GetAllocatedBytesForCurrentThread() - before, trainer.EpochsRun);
        }

        Allocated(5); // JIT and first-use costs
        var shorter = Allocated(5);
        var longer = Allocated(40);
        Assert.True(longer.Epochs >= shorter.Epochs + 20, $"{shorter.Epochs} vs {longer.Epochs} epochs");

        // At least 20 more epochs of 58 steps (search and refit) and 7 validation batches: nothing per step or epoch.
        Assert.True(Math.Abs(longer.Bytes - shorter.Bytes) < 4 * 1024, $"{shorter.Epochs} epochs allocated {shorter.Bytes} bytes, {longer.Epochs} epochs {longer.Bytes}");
    }
}
