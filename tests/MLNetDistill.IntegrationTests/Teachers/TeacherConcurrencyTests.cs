using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;
using MLNetDistill.Teachers;
using Xunit.Abstractions;

namespace MLNetDistill.Tests.Teachers;

/// <summary>
/// The CNN teacher's scoring transformer used from 8 threads at once gives exactly (bit for bit) what it gives on one
/// thread: 8 parallel <c>Transform</c> + cursor passes over one transformer (one ONNX Runtime session, a buffer set per
/// cursor), and 8 threads renting <c>PredictionEngine</c>s from a pool over its saveable form (<c>ApplyOnnxModel</c>,
/// one row per run). The CNN costs about 100x a linear student per row, so the counts are scaled down (see constants).
/// </summary>
public sealed class TeacherConcurrencyTests(ITestOutputHelper output)
{
    private const int Threads = 8;

    /// <summary>Rows per Transform pass: 4,000 images, 8 passes at once (32,000 teacher rows, about 5 s here).</summary>
    private const int TransformRows = 4_000;

    /// <summary>Predictions per thread through pooled engines: 5,000 (40,000 one-row teacher runs, about 8 s here).</summary>
    private const int EngineRequests = 5_000;

    [Fact]
    public void Transform_EightParallelCursorPasses_AnswerBitEqualToSingleThread()
    {
        var ml = new MLContext(1);
        var images = ml.Data.TakeRows(IdxReader.Load(TestPaths.FashionImages), TransformRows);
        using var teacher = ml.Transforms.ScoreWithTeacher(TestPaths.FashionTeacher).Fit(images);
        var reference = Read(teacher.Transform(images));
        Assert.Equal(TransformRows, reference.Length);
        Assert.True(reference.Select(r => r.Predicted).Distinct().Count() >= 5, "the teacher's answers should span several classes");
        long before = teacher.RowsScored;

        var wrong = new int[Threads];
        var rows = new int[Threads];
        var time = Contention.Run(Threads, t =>
        {
            var answers = Read(teacher.Transform(images));
            rows[t] = answers.Length;
            for (int r = 0; r < Math.Min(answers.Length, reference.Length); r++)
            {
                if (!answers[r].Same(reference[r]))
                {
                    wrong[t]++;
                }
            }
        });

        output.WriteLine($"{Threads} parallel passes of {TransformRows} rows in {time.TotalSeconds:F1} s ({Threads * TransformRows / time.TotalSeconds:F0} rows/s); wrong {wrong.Sum()}");
        Assert.All(rows, n => Assert.Equal(TransformRows, n));
        Assert.Equal(0, wrong.Sum());

        // The shared row counter saw every row of every thread.
        Assert.Equal(Threads * TransformRows, teacher.RowsScored - before);
    }

    [Fact]
    public void ApplyOnnxModelForm_EightThreadsFromEnginePool_AnswerBitEqualToSingleThread()
    {
        var ml = new MLContext(1);
        var imagesView = IdxReader.Load(TestPaths.FashionImages);
        using var teacher = ml.Transforms.ScoreWithTeacher(TestPaths.FashionTeacher).Fit(imagesView);
        var served = teacher.ToApplyOnnxModel();
        float[][] images = ml.Data.CreateEnumerable<FeaturesRow>(ml.Data.TakeRows(imagesView, 1_000), reuseRowObject: false).Select(r => r.Features).ToArray();
        var definition = SchemaDefinition.Create(typeof(FeaturesRow));
        definition[nameof(FeaturesRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, images[0].Length);
        TeacherRow[] reference;
        using (var engine = Contention.Engine<FeaturesRow, TeacherRow>(ml, served, definition))
        {
            reference = images.Select(f => engine.Predict(new FeaturesRow { Features = f })).ToArray();
        }

        var engines = Contention.EnginePool<FeaturesRow, TeacherRow>(ml, served, definition, Threads);
        using var disposeEngines = (IDisposable)engines;
        var wrong = new int[Threads];
        var answered = new int[Threads];
        var time = Contention.Run(Threads, t =>
        {
            for (int i = 0; i < EngineRequests; i++)
            {
                int row = (t * 127 + i) % images.Length;
                var engine = engines.Get();
                try
                {
                    var answer = engine.Predict(new FeaturesRow { Features = images[row] });
                    if (!Contention.BitEqual(answer.TeacherLogits, reference[row].TeacherLogits) || !Contention.BitEqual(answer.SoftLabels, reference[row].SoftLabels))
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

        output.WriteLine($"{Threads} threads x {EngineRequests} pooled predictions in {time.TotalSeconds:F1} s ({Threads * EngineRequests / time.TotalSeconds:F0}/s); wrong {wrong.Sum()}");
        Assert.Equal(Threads * EngineRequests, answered.Sum());
        Assert.Equal(0, wrong.Sum());

        // The one-row form agrees with the batched path up to float rounding: the pool served the teacher, not something else.
        var batched = Read(teacher.Transform(ml.Data.TakeRows(imagesView, 50)));
        for (int r = 0; r < batched.Length; r++)
        {
            Assert.Equal(batched[r].Logits, reference[r].TeacherLogits, new FloatComparer(1e-4));
        }
    }

    [Fact]
    public void Dispose_WhileEightThreadsScore_WaitsForRunningBatchesThenRefusesWithObjectDisposed()
    {
        var ml = new MLContext(1);
        var images = ml.Data.Cache(ml.Data.TakeRows(IdxReader.Load(TestPaths.FashionImages), 2_000));
        var teacher = ml.Transforms.ScoreWithTeacher(new TeacherScoringOptions { ModelFile = TestPaths.FashionTeacher, BatchSize = 16 }).Fit(images);
        var reference = Read(teacher.Transform(images));
        using var started = new CountdownEvent(Threads);
        var refused = new int[Threads];
        var wrong = new int[Threads];
        var disposer = new Thread(() =>
        {
            started.Wait();
            Thread.Sleep(200);
            teacher.Dispose();
        });
        disposer.Start();
        Contention.Run(Threads, t =>
        {
            bool signalled = false;
            try
            {
                // Score until the transformer is disposed under the running cursors.
                for (int pass = 0; pass < 1_000; pass++)
                {
                    using var cursor = teacher.Transform(images).GetRowCursor(teacher.Transform(images).Schema);
                    var logits = cursor.GetGetter<VBuffer<float>>(cursor.Schema["TeacherLogits"]);
                    VBuffer<float> z = default;
                    for (int r = 0; cursor.MoveNext(); r++)
                    {
                        logits(ref z);
                        if (!Contention.BitEqual(z.DenseValues().ToArray(), reference[r].Logits))
                        {
                            wrong[t]++;
                        }

                        if (!signalled)
                        {
                            signalled = true;
                            started.Signal();
                        }
                    }
                }
            }
            catch (ObjectDisposedException)
            {
                refused[t]++;
            }
        });
        disposer.Join();

        // Every thread was stopped by the disposal with ObjectDisposedException (no native crash, no other error),
        // and every row served before that was right.
        output.WriteLine($"refused {refused.Sum()} of {Threads}; wrong {wrong.Sum()}");
        Assert.All(refused, n => Assert.Equal(1, n));
        Assert.Equal(0, wrong.Sum());
    }

    private static Answer[] Read(IDataView scored)
    {
        var schema = scored.Schema;
        var answers = new List<Answer>();
        using var cursor = scored.GetRowCursor([schema["TeacherLogits"], schema["SoftLabels"], schema["TeacherPredictedLabel"]]);
        var logits = cursor.GetGetter<VBuffer<float>>(schema["TeacherLogits"]);
        var soft = cursor.GetGetter<VBuffer<float>>(schema["SoftLabels"]);
        var predicted = cursor.GetGetter<uint>(schema["TeacherPredictedLabel"]);
        VBuffer<float> z = default, p = default;
        uint key = 0;
        while (cursor.MoveNext())
        {
            logits(ref z);
            soft(ref p);
            predicted(ref key);
            answers.Add(new Answer(z.DenseValues().ToArray(), p.DenseValues().ToArray(), key));
        }

        return answers.ToArray();
    }

    private sealed record Answer(float[] Logits, float[] Soft, uint Predicted)
    {
        public bool Same(Answer other) => Predicted == other.Predicted && Contention.BitEqual(Logits, other.Logits) && Contention.BitEqual(Soft, other.Soft);
    }

    private sealed class FeaturesRow
    {
        public float[] Features { get; set; } = [];
    }

    private sealed class TeacherRow
    {
        public float[] TeacherLogits { get; set; } = [];

        public float[] SoftLabels { get; set; } = [];
    }
}
