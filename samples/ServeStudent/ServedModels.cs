using Microsoft.Extensions.ObjectPool;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MLNetDistill;
using MLNetDistill.Numerics;

namespace ServeStudent;

/// <summary>The four engines: pooled PredictionEngines over the .zip models, one InferenceSession per .onnx model.</summary>
public sealed class ServedModels : IDisposable
{
    public const int FeatureCount = 784;

    public static readonly IReadOnlyList<string> Engines = ["zip", "onnx", "teacher-zip", "teacher-onnx"];

    private readonly ObjectPool<PredictionEngine<Image, StudentScore>> _student;
    private readonly ObjectPool<PredictionEngine<Image, TeacherScore>> _teacher;
    private readonly InferenceSession _studentOnnx;
    private readonly InferenceSession _teacherOnnx;

    public ServedModels(StudentFiles files)
    {
        var mlContext = new MLContext(seed: 0);
        mlContext.ComponentCatalog.RegisterAssembly(typeof(MlpStudentCatalog).Assembly); // the MLP student's CustomMapping
        ITransformer student = mlContext.Model.Load(files.StudentZip, out _);
        ITransformer teacher = mlContext.Model.Load(files.TeacherZip, out _);
        var pools = new DefaultObjectPoolProvider { MaximumRetained = Environment.ProcessorCount * 4 };
        _student = pools.Create(new EnginePolicy<StudentScore>(mlContext, student));
        _teacher = pools.Create(new EnginePolicy<TeacherScore>(mlContext, teacher));
        _studentOnnx = new InferenceSession(files.StudentOnnx);
        _teacherOnnx = new InferenceSession(files.TeacherOnnx);
    }

    /// <summary>The class probabilities of one image from the named engine.</summary>
    public float[] Predict(string engine, float[] features) => engine switch
    {
        "zip" => Pooled(_student, features).Score,
        "teacher-zip" => Pooled(_teacher, features).SoftLabels,
        "onnx" => Run(_studentOnnx, features, [1, FeatureCount], "probabilities", softmax: false),
        "teacher-onnx" => Run(_teacherOnnx, features, [1, 1, 28, 28], "logits", softmax: true),
        _ => throw new ArgumentOutOfRangeException(nameof(engine), engine, $"Unknown engine '{engine}': use one of {string.Join(", ", Engines)}."),
    };

    public static int ArgMax(float[] values) => SoftLabelMath.ArgMax(values);

    public void Dispose()
    {
        _studentOnnx.Dispose();
        _teacherOnnx.Dispose();
    }

    private static T Pooled<T>(ObjectPool<PredictionEngine<Image, T>> pool, float[] features)
        where T : class, new()
    {
        var engine = pool.Get();
        try
        {
            return engine.Predict(new Image { Features = features });
        }
        finally
        {
            pool.Return(engine);
        }
    }

    private static float[] Run(InferenceSession session, float[] features, int[] shape, string output, bool softmax)
    {
        string input = session.InputMetadata.Keys.First();
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(input, new DenseTensor<float>(features, shape))], [output]);
        float[] values = results[0].AsTensor<float>().ToArray();
        if (!softmax)
        {
            return values;
        }

        var probabilities = new float[values.Length];
        SoftLabelMath.Softmax(values, 1f, probabilities);
        return probabilities;
    }

    private sealed class EnginePolicy<T>(MLContext mlContext, ITransformer model) : PooledObjectPolicy<PredictionEngine<Image, T>>
        where T : class, new()
    {
        public override PredictionEngine<Image, T> Create() => mlContext.Model.CreatePredictionEngine<Image, T>(model);

        public override bool Return(PredictionEngine<Image, T> obj) => true;
    }
}

/// <summary>One image as the models take it.</summary>
public sealed class Image
{
    [VectorType(ServedModels.FeatureCount)]
    public float[] Features { get; set; } = [];
}

/// <summary>The student's output columns.</summary>
public sealed class StudentScore
{
    public float[] Score { get; set; } = [];
}

/// <summary>The teacher's output columns.</summary>
public sealed class TeacherScore
{
    public float[] SoftLabels { get; set; } = [];
}
