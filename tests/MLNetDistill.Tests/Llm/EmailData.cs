using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetDistill.Tests.Llm;

/// <summary>The committed SpamAssassin sample (500 real emails of every group, texts cut at 1,000 characters; Fixtures/README.md) (Id, Text, Label 0 ham / 1 spam, Group), read with ML.NET's own text loader.</summary>
internal static class EmailData
{
    public static string Path => TestPaths.Fixture("llm_emails.csv");

    /// <summary>Reads the sample with the library's CSV text reader: Text (text), Label (Single), Id and Group (text).</summary>
    public static IDataView Load(MLContext mlContext, string? path = null) => mlContext.Data.Cache(MLNetDistill.Data.DataSourceReader.LoadText(path ?? Path, "Text", "Label"));

    public static (IDataView Train, IDataView Test) Split(MLContext mlContext, IDataView data)
    {
        var cached = mlContext.Data.Cache(data);
        var split = mlContext.Data.TrainTestSplit(cached, 0.3, seed: 0);
        return (mlContext.Data.Cache(split.TrainSet), mlContext.Data.Cache(split.TestSet));
    }

    public static string[] Texts(IDataView data) => [.. data.GetColumn<string>("Text")];

    public static float[] Labels(IDataView data) => [.. data.GetColumn<float>("Label")];
}
