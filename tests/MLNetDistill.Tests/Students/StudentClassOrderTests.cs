using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;
using MLNetDistill.Data;
using MLNetDistill.Teachers;

namespace MLNetDistill.Tests.Students;

/// <summary>
/// Students predict the teacher's class indices, so a key label numbered in another order (ML.NET's default
/// <c>MapValueToKey</c>, by occurrence) is an error at Fit that names the fix, a key label in value order works, and the
/// predicted key carries the classes' values so <c>MapKeyToValue</c> gives labels back.
/// </summary>
public sealed class StudentClassOrderTests(ServingData data) : IClassFixture<ServingData>
{
    public static TheoryData<string> Families => ["sdca", "mlp", "logits-fasttree"];

    [Theory]
    [MemberData(nameof(Families))]
    public void Fit_LabelKeyByOccurrence_ThrowsNamingByValue(string family)
    {
        var ml = new MLContext(1);
        var keyed = ml.Transforms.Conversion.MapValueToKey("Label").Fit(data.Multiclass.Train).Transform(data.Multiclass.Train);
        var ex = Assert.Throws<ArgumentException>(() => Dispose(Make(ml, family).Fit(keyed)));
        Assert.Contains("Label column 'Label'", ex.Message);
        Assert.Contains("in the order 9, 2, 1, 6, 4, 5, 7, 3, 8, 0", ex.Message); // first occurrences in the first 300 test labels
        Assert.Contains("keyOrdinality: ValueToKeyMappingEstimator.KeyOrdinality.ByValue", ex.Message);
    }

    [Fact]
    public void ScoreWithTeacher_LabelKeyByOccurrence_ThrowsAtFitNamingByValue()
    {
        var ml = new MLContext(1);
        var raw = ml.Data.TakeRows(IdxReader.Load(TestPaths.FashionImages), 50);
        var keyed = ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw).Transform(raw);
        var ex = Assert.Throws<ArgumentException>(() => ml.Transforms.ScoreWithTeacher(TestPaths.FashionTeacher).Fit(keyed).Dispose());
        Assert.Contains("Label column 'Label'", ex.Message);
        Assert.Contains("ByValue", ex.Message);
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void Fit_LabelKeyByValue_EvaluatesAsTheSingleLabelAndMapKeyToValueGivesLabels(string family)
    {
        var ml = new MLContext(1);
        IDataView Keyed(IDataView view) => ml.Transforms.CopyColumns("LabelValue", "Label")
            .Append(ml.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: ValueToKeyMappingEstimator.KeyOrdinality.ByValue)).Fit(view).Transform(view);
        var model = Make(ml, family).Fit(Keyed(data.Multiclass.Train));
        try
        {
            var predictions = model.Transform(Keyed(data.Multiclass.Test));
            var byKey = ml.MulticlassClassification.Evaluate(predictions, "Label");
            var byValue = ml.MulticlassClassification.Evaluate(predictions, "LabelValue");
            Assert.Equal(byValue.MicroAccuracy, byKey.MicroAccuracy, 10);
            Assert.InRange(byKey.MicroAccuracy, 0.4, 1.0);

            // MapKeyToValue gives the labels' own values (Single 0..9): the accuracy counted on them is the evaluator's.
            var mapped = ml.Transforms.Conversion.MapKeyToValue("PredictedValue", "PredictedLabel").Fit(predictions).Transform(predictions);
            var predicted = mapped.GetColumn<float>("PredictedValue").ToArray();
            var labels = mapped.GetColumn<float>("LabelValue").ToArray();
            Assert.Equal(byKey.MicroAccuracy, predicted.Zip(labels, (p, y) => p == y ? 1.0 : 0.0).Average(), 10);
        }
        finally
        {
            Dispose(model);
        }
    }

    [Fact]
    public void Fit_TextLabelKeyByValue_PredictedLabelCarriesTheNames()
    {
        var ml = new MLContext(1);
        var named = Named(ml, data.Multiclass.Train);
        var sdca = ml.MulticlassClassification.Trainers.SdcaMaximumEntropy(labelColumnName: "Label", exampleWeightColumnName: "Weight", maximumNumberOfIterations: 5);
        var model = ml.MulticlassClassification.Trainers.SoftLabel(sdca, new MLNetDistill.Students.SoftLabelOptions { SourceLabelColumnName = "Name" }).Fit(named);
        var predictions = model.Transform(data.Multiclass.Test);
        var names = ml.Transforms.Conversion.MapKeyToValue("PredictedName", "PredictedLabel").Fit(predictions).Transform(predictions)
            .GetColumn<string>("PredictedName").ToArray();
        var keys = predictions.GetColumn<uint>("PredictedLabel").ToArray();
        Assert.Equal(keys.Select(k => $"class {k - 1}"), names);
    }

    [Fact]
    public void Fit_TeacherNamedTheClasses_StudentsPredictTheTeachersNamesAndRefuseOtherOnes()
    {
        var ml = new MLContext(1);
        var raw = ml.Data.Cache(ml.Data.TakeRows(IdxReader.Load(TestPaths.FashionImages), 200));
        using var teacher = ml.Transforms.ScoreWithTeacher(new TeacherScoringOptions { ModelFile = TestPaths.FashionTeacher, LabelColumnName = "Name" }).Fit(Named(ml, raw));
        var scored = ml.Data.Cache(teacher.Transform(Named(ml, raw)));
        var teacherNames = ClassValues.FromKeyValues(scored.Schema[DataColumnNames.TeacherPredictedLabel]);
        Assert.Equal("'class 0', 'class 1', 'class 2', 'class 3', 'class 4', 'class 5', 'class 6', 'class 7', 'class 8', 'class 9'", teacherNames?.Describe());

        // A student trained on the plain Single label predicts keys named as the teacher's classes.
        var options = new MLNetDistill.Students.Mlp.MlpStudentOptions();
        options.Network.HiddenLayerSizes = [8];
        options.Network.Epochs = 1;
        using (var mlp = ml.MulticlassClassification.Trainers.DistillMlp(options).Fit(scored))
        {
            var studentNames = ClassValues.FromKeyValues(mlp.GetOutputSchema(raw.Schema)["PredictedLabel"]);
            Assert.True(studentNames is not null && studentNames.SameValues(teacherNames!), studentNames?.Describe());
        }

        // A key label with other names is refused, naming the teacher's.
        var other = ml.Transforms.CustomMapping<LabelRow, OtherNameRow>((i, o) => o.Other = $"kind {i.Label}", null)
            .Append(ml.Transforms.Conversion.MapValueToKey("Label", "Other", keyOrdinality: ValueToKeyMappingEstimator.KeyOrdinality.ByValue)).Fit(scored).Transform(scored);
        var sdca = ml.MulticlassClassification.Trainers.SdcaMaximumEntropy(labelColumnName: "Label", exampleWeightColumnName: "Weight", maximumNumberOfIterations: 5);
        var ex = Assert.Throws<ArgumentException>(() => ml.MulticlassClassification.Trainers.SoftLabel(sdca).Fit(other));
        Assert.Contains("'kind 0', 'kind 1'", ex.Message);
        Assert.Contains("the teacher's classes are 'class 0', 'class 1'", ex.Message);
    }

    private static IEstimator<ITransformer> Make(MLContext ml, string family)
    {
        var multiclass = ml.MulticlassClassification.Trainers;
        var options = new MLNetDistill.Students.Mlp.MlpStudentOptions();
        options.Network.HiddenLayerSizes = [16];
        options.Network.Epochs = 10;
        options.Network.Seed = 3;
        options.Network.BatchSize = 32;
        options.Network.LearningRate = 3e-3f;
        return family switch
        {
            "sdca" => multiclass.SoftLabel(multiclass.SdcaMaximumEntropy(labelColumnName: "Label", exampleWeightColumnName: "Weight", maximumNumberOfIterations: 5)),
            "mlp" => multiclass.DistillMlp(options),
            "logits-fasttree" => multiclass.LogitMatching(label => ml.Regression.Trainers.FastTree(labelColumnName: label, numberOfTrees: 3, numberOfLeaves: 4)),
            _ => throw new ArgumentOutOfRangeException(nameof(family), family, "not a family of this test"),
        };
    }

    /// <summary>Adds <c>Name</c>, a text key ("class 0" ... "class 9") in value order, beside the Single <c>Label</c>.</summary>
    private static IDataView Named(MLContext ml, IDataView view) =>
        ml.Transforms.CustomMapping<LabelRow, NameRow>((i, o) => o.Name = $"class {i.Label}", null)
            .Append(ml.Transforms.Conversion.MapValueToKey("Name", keyOrdinality: ValueToKeyMappingEstimator.KeyOrdinality.ByValue)).Fit(view).Transform(view);

    private static void Dispose(ITransformer model) => (model as IDisposable)?.Dispose();

    private sealed class LabelRow
    {
        public float Label { get; set; }
    }

    private sealed class NameRow
    {
        public string Name { get; set; } = "";
    }

    private sealed class OtherNameRow
    {
        public string Other { get; set; } = "";
    }
}
