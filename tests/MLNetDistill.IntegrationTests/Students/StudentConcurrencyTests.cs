using System.Collections.Concurrent;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;
using Xunit.Abstractions;

namespace MLNetDistill.Tests.Students;

/// <summary>
/// Every multiclass student family, trained once on the CNN teacher's soft labels, used from 8 threads at once gives
/// exactly (bit for bit) the answers it gives on one thread: 8 threads each renting a <c>PredictionEngine</c> from a
/// pool per request (as ASP.NET Core serving does), and 8 threads each running <c>Transform</c> and a cursor pass over
/// the same transformer instance. The requests are the 10,000 embedded Fashion-MNIST test images.
/// </summary>
public sealed class StudentConcurrencyTests(ServingData data, ITestOutputHelper output) : IClassFixture<ServingData>
{
    private const int Threads = 8;

    /// <summary>Predictions per thread: 10,000 for every family (each test stays under 20 s on the 2-core machine).</summary>
    private const int PerThread = 10_000;

    private static readonly Lazy<float[][]> Images = new(() =>
        new MLContext(0).Data.CreateEnumerable<FeaturesRow>(IdxReader.Load(TestPaths.FashionImages), reuseRowObject: false).Select(r => r.Features).ToArray());

    public static TheoryData<string> Families => ["sdca", "lbfgs", "lightgbm", "fasttree-ova", "logits-fasttree", "mlp"];

    [Theory]
    [MemberData(nameof(Families))]
    public void PredictionEngines_EightThreadsFromPool_AnswerBitEqualToSingleThread(string family)
    {
        var ml = new MLContext(1);
        var model = Fit(ml, family);
        try
        {
            float[][] images = Images.Value;
            var definition = Definition(images[0].Length);
            Prediction[] reference;
            using (var engine = Contention.Engine<FeaturesRow, Prediction>(ml, model, definition))
            {
                reference = images.Select(f => Copy(engine.Predict(new FeaturesRow { Features = f }))).ToArray();
            }

            Assert.True(reference.Select(r => r.PredictedLabel).Distinct().Count() >= 5, "the reference answers should span several classes");
            var engines = Contention.EnginePool<FeaturesRow, Prediction>(ml, model, definition, Threads);
            using var disposeEngines = (IDisposable)engines;
            var seen = new ConcurrentDictionary<PredictionEngine<FeaturesRow, Prediction>, byte>();
            var wrong = new int[Threads];
            var answered = new int[Threads];
            var time = Contention.Run(Threads, t =>
            {
                var request = new FeaturesRow();
                for (int i = 0; i < PerThread; i++)
                {
                    // Threads start at different rows, so at any instant they ask different questions.
                    int row = (t * 1_259 + i) % images.Length;
                    request.Features = images[row];
                    var engine = engines.Get();
                    try
                    {
                        seen.TryAdd(engine, 0);
                        var answer = engine.Predict(request);
                        if (answer.PredictedLabel != reference[row].PredictedLabel || !Contention.BitEqual(answer.Score, reference[row].Score))
                        {
                            wrong[t]++;
                        }
                    }
                    finally
                    {
                        engines.Return(engine);
                    }

                    answered[t]++;
                }
            });

            output.WriteLine($"{family}: {Threads} threads x {PerThread} predictions from a pool of {seen.Count} engines in {time.TotalSeconds:F1} s ({Threads * PerThread / time.TotalSeconds:F0}/s); wrong {wrong.Sum()}");
            Assert.Equal(Threads * PerThread, answered.Sum());
            Assert.True(seen.Count >= 2, $"the threads should have needed several engines at once, but used {seen.Count}");
            Assert.Equal(0, wrong.Sum());
        }
        finally
        {
            (model as IDisposable)?.Dispose();
        }
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void Transform_EightParallelCursorPasses_AnswerBitEqualToSingleThread(string family)
    {
        var ml = new MLContext(1);
        var model = Fit(ml, family);
        try
        {
            float[][] images = Images.Value;
            var requests = ml.Data.LoadFromEnumerable(images.Select(f => new FeaturesRow { Features = f }), Definition(images[0].Length));
            var reference = Read(model.Transform(requests));
            Assert.Equal(PerThread, reference.Length);
            var wrong = new int[Threads];
            var rows = new int[Threads];
            var time = Contention.Run(Threads, t =>
            {
                // Each thread asks the shared transformer for its own view and cursor.
                var answers = Read(model.Transform(requests));
                rows[t] = answers.Length;
                for (int r = 0; r < Math.Min(answers.Length, reference.Length); r++)
                {
                    if (answers[r].PredictedLabel != reference[r].PredictedLabel || !Contention.BitEqual(answers[r].Score, reference[r].Score))
                    {
                        wrong[t]++;
                    }
                }
            });

            output.WriteLine($"{family}: {Threads} parallel Transform passes of {reference.Length} rows in {time.TotalSeconds:F1} s; wrong {wrong.Sum()}");
            Assert.All(rows, n => Assert.Equal(reference.Length, n));
            Assert.Equal(0, wrong.Sum());
        }
        finally
        {
            (model as IDisposable)?.Dispose();
        }
    }

    [Fact]
    public void PredictionEngines_PoolSmallerThanThreads_EnginesDisposedOnReturnLeaveModelServing()
    {
        // A pool that retains 2 engines for 8 threads disposes most engines when they come back: as the engines do not
        // own the model, the MLP student (ONNX Runtime sessions behind both its paths) keeps serving the others.
        var ml = new MLContext(1);
        using var model = (IDisposable)Fit(ml, "mlp");
        var student = (ITransformer)model;
        float[][] images = Images.Value[..2_000];
        var definition = Definition(images[0].Length);
        var requests = ml.Data.LoadFromEnumerable(images.Select(f => new FeaturesRow { Features = f }), definition);
        var batched = Read(student.Transform(requests));
        Prediction[] reference;
        using (var engine = Contention.Engine<FeaturesRow, Prediction>(ml, student, definition))
        {
            reference = images.Select(f => Copy(engine.Predict(new FeaturesRow { Features = f }))).ToArray();
        }

        var engines = Contention.EnginePool<FeaturesRow, Prediction>(ml, student, definition, retained: 2);
        var wrong = new int[Threads];
        using (var disposeEngines = (IDisposable)engines)
        {
            Contention.Run(Threads, t =>
            {
                for (int i = 0; i < images.Length; i++)
                {
                    int row = (t * 251 + i) % images.Length;
                    var engine = engines.Get();
                    try
                    {
                        var answer = engine.Predict(new FeaturesRow { Features = images[row] });
                        wrong[t] += answer.PredictedLabel == reference[row].PredictedLabel && Contention.BitEqual(answer.Score, reference[row].Score) ? 0 : 1;
                    }
                    finally
                    {
                        engines.Return(engine);
                    }
                }
            });
        }

        Assert.Equal(0, wrong.Sum());

        // After the pool and all its engines are gone, the student still serves both ways.
        var after = Read(student.Transform(requests));
        Assert.All(Enumerable.Range(0, batched.Length), r => Assert.True(after[r].PredictedLabel == batched[r].PredictedLabel && Contention.BitEqual(after[r].Score, batched[r].Score)));
        using var last = Contention.Engine<FeaturesRow, Prediction>(ml, student, definition);
        Assert.True(Contention.BitEqual(last.Predict(new FeaturesRow { Features = images[7] }).Score, reference[7].Score));
    }

    private ITransformer Fit(MLContext ml, string family)
    {
        var (_, trainer) = StudentServingTests.Make(ml, family);
        return trainer.Fit(data.Multiclass.Train);
    }

    private static SchemaDefinition Definition(int width)
    {
        var definition = SchemaDefinition.Create(typeof(FeaturesRow));
        definition[nameof(FeaturesRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, width);
        return definition;
    }

    private static Prediction[] Read(IDataView scored)
    {
        var answers = new List<Prediction>();
        using var cursor = scored.GetRowCursor([scored.Schema["PredictedLabel"], scored.Schema["Score"]]);
        var label = cursor.GetGetter<uint>(scored.Schema["PredictedLabel"]);
        var score = cursor.GetGetter<VBuffer<float>>(scored.Schema["Score"]);
        uint key = 0;
        VBuffer<float> values = default;
        while (cursor.MoveNext())
        {
            label(ref key);
            score(ref values);
            answers.Add(new Prediction { PredictedLabel = key, Score = values.DenseValues().ToArray() });
        }

        return answers.ToArray();
    }

    private static Prediction Copy(Prediction p) => new() { PredictedLabel = p.PredictedLabel, Score = (float[])p.Score.Clone() };

    private sealed class FeaturesRow
    {
        public float[] Features { get; set; } = [];
    }

    private sealed class Prediction
    {
        public uint PredictedLabel { get; set; }

        public float[] Score { get; set; } = [];
    }
}
