using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MLNetDistill.Data;

namespace MLNetDistill.Tests.Samples;

public sealed class ServeStudentSampleTests
{
    private const int Images = 100;
    private const int Concurrency = 16;

    [Fact]
    public async Task Predict_ConcurrentBurstOnEveryEngine_EachAnswerEqualsTheOfflinePrediction()
    {
        using var served = ServedSample.Start(SamplePrograms.Dll("ServeStudent"), rows: 1000, TimeSpan.FromMinutes(4));
        var health = JsonDocument.Parse(await Get(served, "/health")).RootElement;
        Assert.Equal("ok", health.GetProperty("status").GetString());
        Assert.Equal(["zip", "onnx", "teacher-zip", "teacher-onnx"], health.GetProperty("engines").EnumerateArray().Select(e => e.GetString()));

        // Offline, in this process: the files the service made, each run the way a user would run it alone. Images the
        // student was not trained on (it learned from the first 1,000).
        var ml = new MLContext(seed: 0);
        IDataView rows = ml.Data.TakeRows(ml.Data.SkipRows(IdxReader.Load(TestPaths.FashionImages), 5000), Images);
        float[][] images = rows.GetColumn<float[]>("Features").ToArray();
        var expected = new Dictionary<string, float[][]>
        {
            ["zip"] = Engine(ml, Path.Combine(served.StudentDirectory, "student.zip"), images, "Score"),
            ["teacher-zip"] = Engine(ml, Path.Combine(served.StudentDirectory, "teacher.zip"), images, "SoftLabels"),
            ["onnx"] = Onnx(Path.Combine(served.StudentDirectory, "student.onnx"), images, [1, 784]),
        };
        using (var teacher = ml.Transforms.ScoreWithTeacher(TestPaths.FashionTeacher).Fit(rows))
        {
            expected["teacher-onnx"] = teacher.Transform(rows).GetColumn<float[]>("SoftLabels").ToArray(); // the batched scorer
        }

        // The burst: every image on every engine, at most 16 requests in flight.
        using var client = new HttpClient { BaseAddress = served.Address, Timeout = TimeSpan.FromMinutes(2) };
        using var gate = new SemaphoreSlim(Concurrency);
        var requests = expected.Keys.SelectMany(engine => Enumerable.Range(0, Images).Select(i => (engine, i))).Select(async r =>
        {
            await gate.WaitAsync();
            try
            {
                using var response = await client.PostAsJsonAsync($"/predict?engine={r.engine}", new { features = images[r.i] });
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
                return (r.engine, r.i, answer);
            }
            finally
            {
                gate.Release();
            }
        }).ToList();
        var answers = await Task.WhenAll(requests);

        Assert.Equal(4 * Images, answers.Length);
        foreach (var (engine, i, answer) in answers)
        {
            float[] want = expected[engine][i];
            float[] got = answer.GetProperty("probabilities").EnumerateArray().Select(v => v.GetSingle()).ToArray();
            Assert.Equal(engine, answer.GetProperty("engine").GetString());
            Assert.Equal(Array.IndexOf(want, want.Max()), answer.GetProperty("predictedClass").GetInt32());
            // The student's engines run the very model the offline check runs: equal to float precision. The teacher's
            // single-row ONNX Runtime call against the batched scorer: equal within rounding.
            Assert.Equal(want, got, new FloatComparer(engine == "teacher-onnx" ? 1e-4 : 1e-6));
        }
    }

    [Fact]
    public async Task Predict_WrongFeatureCountOrEngine_Answers400WithTheFix()
    {
        using var served = ServedSample.Start(SamplePrograms.Dll("ServeStudent"), rows: 300, TimeSpan.FromMinutes(4));
        using var client = new HttpClient { BaseAddress = served.Address };

        using var shortImage = await client.PostAsJsonAsync("/predict", new { features = new float[10] });
        Assert.Equal(HttpStatusCode.BadRequest, shortImage.StatusCode);
        Assert.Contains("'features' holds 10 values; the models take 784", await shortImage.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var unknown = await client.PostAsJsonAsync("/predict?engine=gpu", new { features = new float[784] });
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Contains("Unknown engine 'gpu': use one of zip, onnx, teacher-zip, teacher-onnx.", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private static async Task<string> Get(ServedSample served, string path)
    {
        using var client = new HttpClient { BaseAddress = served.Address };
        return await client.GetStringAsync(path);
    }

    private static float[][] Engine(MLContext ml, string model, float[][] images, string column)
    {
        ml.ComponentCatalog.RegisterAssembly(typeof(MlpStudentCatalog).Assembly);
        var transformer = ml.Model.Load(model, out _);
        var engine = ml.Model.CreatePredictionEngine<Image, Output>(transformer, outputSchemaDefinition: Output.Schema(column));
        return images.Select(x => (float[])engine.Predict(new Image { Features = x }).Values.Clone()).ToArray();
    }

    private static float[][] Onnx(string model, float[][] images, int[] shape)
    {
        using var session = new InferenceSession(model);
        string input = session.InputMetadata.Keys.First();
        return images.Select(x =>
        {
            using var results = session.Run([NamedOnnxValue.CreateFromTensor(input, new DenseTensor<float>(x, shape))], ["probabilities"]);
            return results[0].AsTensor<float>().ToArray();
        }).ToArray();
    }

    public sealed class Image
    {
        [VectorType(784)]
        public float[] Features { get; set; } = [];
    }

    public sealed class Output
    {
        public float[] Values { get; set; } = [];

        public static SchemaDefinition Schema(string column)
        {
            var schema = SchemaDefinition.Create(typeof(Output));
            schema[nameof(Values)].ColumnName = column;
            return schema;
        }
    }
}
