using System.IO.Compression;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;
using MLNetDistill.Experiments;

namespace MLNetDistill.Tests.Data;

/// <summary>Saved models are reproducible zips: fixed entry times, ordinal order, canonical .idv blocks, and they load back.</summary>
public sealed class ModelArchiveTests
{
    private static readonly Lazy<(MLContext Ml, DistillationExperimentResult Result, IDataView Data)> Mlp = new(() =>
    {
        // An MLP student: its chain stores a MapValue step (DefaultMap.idv, ML.NET binary data) besides its ONNX graph.
        var ml = new MLContext(seed: 3);
        IDataView data = DataSourceReader.Load(TestPaths.Fixture("breast_cancer.csv"), "label");
        var options = new DistillationExperimentOptions { TeacherModelFile = TestPaths.Fixture("binary_teacher.onnx"), Seed = 3 };
        options.Students.Add(DistillationStudent.FromSpec("mlp:8:epochs=2"));
        return (ml, new DistillationExperiment(ml, options).Run(data), data);
    });

    [Fact]
    public void Save_TwoSavesSecondsApart_ByteIdenticalWithFixedEntryTimesInOrdinalOrder()
    {
        var (ml, result, _) = Mlp.Value;
        var model = result.Students[0].Distilled.Model;

        byte[] first = ModelArchive.ToBytes(ml.Model, model, result.InputSchema);
        Thread.Sleep(2100); // a zip stores times to 2 s: a save that stamped the clock would differ now
        byte[] second = ModelArchive.ToBytes(ml.Model, model, result.InputSchema);

        Assert.Equal(first, second);
        using var zip = new ZipArchive(new MemoryStream(first), ZipArchiveMode.Read);
        Assert.Contains(zip.Entries, e => e.FullName.EndsWith(".idv", StringComparison.Ordinal));
        Assert.All(zip.Entries, e => Assert.Equal(ModelArchive.EntryTime.DateTime, e.LastWriteTime.DateTime));
        string[] names = [.. zip.Entries.Select(e => e.FullName)];
        Assert.Equal(names.Order(StringComparer.Ordinal), names);
    }

    [Fact]
    public void Save_RepackedZip_LoadsAndScoresAsTheTrainedModel()
    {
        var (ml, result, data) = Mlp.Value;
        var model = result.Students[0].Distilled.Model;
        using var file = new MemoryStream(ModelArchive.ToBytes(ml.Model, model, result.InputSchema));

        var loader = new MLContext(seed: 0);
        loader.ComponentCatalog.RegisterAssembly(typeof(MlpStudentCatalog).Assembly);
        var loaded = loader.Model.Load(file, out var schema);

        Assert.Equal(result.InputSchema.Select(c => c.Name), schema.Select(c => c.Name));
        float[][] expected = Scores(model.Transform(data));
        float[][] actual = Scores(loaded.Transform(data));
        Assert.Equal(569, actual.Length);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Repack_MlNetSavedArchive_SameEntryContentsExceptIdvBlockOrder()
    {
        var (ml, result, _) = Mlp.Value;
        using var raw = new MemoryStream();
        ml.Model.Save(result.Students[0].Distilled.Model, result.InputSchema, raw);
        raw.Position = 0;
        using var repacked = new MemoryStream();

        ModelArchive.Repack(raw, repacked);

        raw.Position = 0;
        using var before = new ZipArchive(raw, ZipArchiveMode.Read);
        using var after = new ZipArchive(new MemoryStream(repacked.ToArray()), ZipArchiveMode.Read);
        Assert.Equal(before.Entries.Select(e => e.FullName).Order(StringComparer.Ordinal), after.Entries.Select(e => e.FullName));
        foreach (var entry in before.Entries)
        {
            byte[] original = Read(entry);
            byte[] copy = Read(after.GetEntry(entry.FullName)!);
            Assert.Equal(entry.FullName.EndsWith(".idv", StringComparison.Ordinal) ? IdvBlockOrder.Canonical(original) : original, copy);
        }
    }

    private static byte[] Read(ZipArchiveEntry entry)
    {
        using var stream = entry.Open();
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }

    private static float[][] Scores(IDataView scored) =>
        [.. scored.GetColumn<VBuffer<float>>("Score").Select(v => v.DenseValues().ToArray())];
}
