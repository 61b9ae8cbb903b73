using Microsoft.ML;
using MLNetDistill;
using MLNetDistill.Data;

namespace ServeStudent;

/// <summary>The served files: the student's .zip and .onnx, the teacher's .zip and .onnx; made once, then loaded.</summary>
public sealed record StudentFiles(string Directory, string StudentZip, string StudentOnnx, string TeacherZip, string TeacherOnnx)
{
    /// <summary>Distills the student into <paramref name="directory"/> unless it is there already.</summary>
    public static StudentFiles LoadOrDistill(string directory, int rows)
    {
        string samples = SamplesFolder();
        var files = new StudentFiles(directory, Path.Combine(directory, "student.zip"), Path.Combine(directory, "student.onnx"),
            Path.Combine(directory, "teacher.zip"), Path.Combine(samples, "teachers", "fashion_cnn.onnx"));
        if (File.Exists(files.StudentZip) && File.Exists(files.StudentOnnx) && File.Exists(files.TeacherZip))
        {
            return files;
        }

        System.IO.Directory.CreateDirectory(directory);
        var mlContext = new MLContext(seed: 0);
        IDataView images = mlContext.Data.TakeRows(IdxReader.Load(Path.Combine(samples, "data", "fashion-mnist", "t10k-images-idx3-ubyte.gz")), rows);
        using var teacher = mlContext.Transforms.ScoreWithTeacher(files.TeacherOnnx).Fit(images);
        IDataView scored = mlContext.Data.Cache(teacher.Transform(images));
        using var student = mlContext.MulticlassClassification.Trainers.DistillMlp(hiddenLayerSizes: [64], epochs: 30).Fit(scored);
        mlContext.Model.Save(student, images.Schema, files.StudentZip);
        student.SaveOnnx(files.StudentOnnx);
        mlContext.Model.Save(teacher, images.Schema, files.TeacherZip);
        return files;
    }

    /// <summary>The embedded data and teacher, found from where this program runs (bin/...), so any working directory will do.</summary>
    public static string SamplesFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "samples", "teachers", "fashion_cnn.onnx")))
            {
                return Path.Combine(dir.FullName, "samples");
            }
        }

        throw new DirectoryNotFoundException($"No samples/teachers/fashion_cnn.onnx above {AppContext.BaseDirectory}: run the sample from inside the MLNetDistill repository.");
    }
}
