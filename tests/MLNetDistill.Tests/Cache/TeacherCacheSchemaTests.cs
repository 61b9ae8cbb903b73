using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;
using MLNetDistill.Tests.Data;
using MLNetDistill.Teachers;
using MLNetDistill.Cache;
using TeacherCache = MLNetDistill.Cache.TeacherCache;
using TeacherCacheWriter = MLNetDistill.Cache.TeacherCacheWriter;

namespace MLNetDistill.Tests.Cache;

public sealed class TeacherCacheSchemaTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData(".parquet")]
    [InlineData(".csv")]
    public void Read_CacheOfTeacher_HasTheSchemaOfTheTeachersLiveOutput(string extension)
    {
        var ml = new MLContext(seed: 0);
        string data = TestPaths.Fixture("breast_cancer.csv");
        string cache = _temp.File("cache" + extension);
        TeacherCacheWriter.Score(ml, new TeacherScoringOptions { ModelFile = TestPaths.Fixture("binary_teacher.onnx") }, data, "label", null, cache);
        IDataView rows = DataSourceReader.Load(data, "label");
        using var teacher = ml.Transforms.ScoreWithTeacher(TestPaths.Fixture("binary_teacher.onnx")).Fit(rows);

        var live = teacher.Transform(rows).Schema;
        var read = TeacherCache.Read(cache).Schema;

        foreach (string name in new[] { DataColumnNames.Label, DataColumnNames.TeacherLogits, DataColumnNames.SoftLabels, DataColumnNames.TeacherPredictedLabel })
        {
            Assert.Equal(live[name].Type, read[name].Type);
            Assert.Equal(Annotations(live[name]), Annotations(read[name]));
        }

        Assert.Equal(ViewRows.Vectors(teacher.Transform(rows), DataColumnNames.TeacherLogits), ViewRows.Vectors(TeacherCache.Read(cache), DataColumnNames.TeacherLogits));
        Assert.Equal(ViewRows.Vectors(teacher.Transform(rows), DataColumnNames.SoftLabels), ViewRows.Vectors(TeacherCache.Read(cache), DataColumnNames.SoftLabels));
    }

    /// <summary>Each annotation's kind, type and (for key values) the values, as text.</summary>
    private static List<string> Annotations(DataViewSchema.Column column)
    {
        var result = new List<string>();
        foreach (var annotation in column.Annotations.Schema)
        {
            string values = "";
            if (annotation.Name == "KeyValues" && annotation.Type is VectorDataViewType { ItemType: NumberDataViewType } && annotation.Type.RawType == typeof(VBuffer<float>))
            {
                VBuffer<float> buffer = default;
                column.Annotations.GetValue(annotation.Name, ref buffer);
                values = string.Join(",", buffer.DenseValues());
            }

            result.Add($"{annotation.Name}:{annotation.Type}:{values}");
        }

        return result;
    }
}
