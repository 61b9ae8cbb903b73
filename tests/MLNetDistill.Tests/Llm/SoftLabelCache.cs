using Microsoft.ML.Data;
using MLNetDistill.Data;

namespace MLNetDistill.Tests.Llm;

/// <summary>Reads the soft labels a labeler or importer wrote to a teacher cache.</summary>
internal static class SoftLabelCache
{
    public static float[][] Read(string cache)
    {
        var view = MLNetDistill.Cache.TeacherCache.Read(cache);
        return [.. view.GetColumn<VBuffer<float>>(DataColumnNames.SoftLabels).Select(v => v.DenseValues().ToArray())];
    }
}
