#include "chat/metrics/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <system_error>
#include <variant>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "glog/logging.h"

namespace chat::metrics {

// ---------------------------------------------------------------------------------------
// Histogram

Histogram::Histogram(std::vector<double> upper_bounds)
    : upper_bounds_(std::move(upper_bounds)),
      counts_(new std::atomic<uint64_t>[upper_bounds_.size() + 1]) {
  for (size_t i = 0; i < upper_bounds_.size(); ++i) {
    CHECK(std::isfinite(upper_bounds_[i])) << "histogram bound " << i << " is not finite";
    CHECK(i == 0 || upper_bounds_[i - 1] < upper_bounds_[i])
        << "histogram bounds must be strictly increasing (bound " << i << ")";
  }
  for (size_t i = 0; i <= upper_bounds_.size(); ++i) {
    counts_[i].store(0, std::memory_order_relaxed);
  }
}

void Histogram::Observe(double value) {
  if (std::isnan(value)) return;
  // Buckets are "less than or equal": the first bound >= value takes it.
  const size_t bucket = static_cast<size_t>(
      std::lower_bound(upper_bounds_.begin(), upper_bounds_.end(), value) - upper_bounds_.begin());
  counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::TakeSnapshot() const {
  Snapshot snapshot;
  snapshot.upper_bounds = upper_bounds_;
  snapshot.cumulative_counts.reserve(upper_bounds_.size() + 1);
  uint64_t running = 0;
  for (size_t i = 0; i <= upper_bounds_.size(); ++i) {
    running += counts_[i].load(std::memory_order_relaxed);
    snapshot.cumulative_counts.push_back(running);
  }
  snapshot.count = running;
  snapshot.sum = sum_.load(std::memory_order_relaxed);
  return snapshot;
}

std::vector<double> ExponentialBuckets(double start, double factor, int count) {
  CHECK_GT(start, 0);
  CHECK_GT(factor, 1);
  CHECK_GE(count, 1);
  std::vector<double> bounds;
  bounds.reserve(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) {
    // Rounded to 15 significant digits, so that 1e-6 * 10 is the bound 1e-05 that was
    // meant, not 9.999999999999999e-06 (which would also be its `le` label).
    const double exact = start * std::pow(factor, i);
    char buffer[64];
    const auto printed =
        std::to_chars(buffer, buffer + sizeof(buffer), exact, std::chars_format::general, 15);
    double rounded = exact;
    std::from_chars(buffer, printed.ptr, rounded);
    bounds.push_back(rounded);
  }
  return bounds;
}

// ---------------------------------------------------------------------------------------
// Names

namespace {

bool IsAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

bool IsValidMetricName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok = IsAsciiLetter(c) || c == '_' || c == ':' || (i > 0 && IsAsciiDigit(c));
    if (!ok) return false;
  }
  return true;
}

bool IsValidLabelName(std::string_view name) {
  if (name.empty() || name.substr(0, 2) == "__") return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok = IsAsciiLetter(c) || c == '_' || (i > 0 && IsAsciiDigit(c));
    if (!ok) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------
// Registry

struct Registry::Series {
  Labels labels;
  // Exactly one alternative, matching the family's type (a gauge family may hold both
  // stored and callback series).
  std::variant<std::unique_ptr<Counter>, std::unique_ptr<Gauge>, std::unique_ptr<Histogram>,
               std::function<double()>>
      metric;
};

struct Registry::Family {
  std::string name;
  std::string help;
  MetricType type;
  // unique_ptr: AddSeries() hands out references that must survive the vector growing.
  std::vector<std::unique_ptr<Series>> series;
};

namespace {

std::string_view TypeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

// HELP text escapes backslash and newline (a raw newline would end the comment line).
void AppendEscapedHelp(std::string* out, std::string_view help) {
  for (const char c : help) {
    if (c == '\\') {
      out->append("\\\\");
    } else if (c == '\n') {
      out->append("\\n");
    } else {
      out->push_back(c);
    }
  }
}

// Label values additionally escape the double quote that delimits them.
void AppendEscapedLabelValue(std::string* out, std::string_view value) {
  for (const char c : value) {
    if (c == '\\') {
      out->append("\\\\");
    } else if (c == '"') {
      out->append("\\\"");
    } else if (c == '\n') {
      out->append("\\n");
    } else {
      out->push_back(c);
    }
  }
}

// Shortest round-trip digits (std::to_chars), so every value parses back exactly. Plain
// notation in the range people read easily ("0.0002", "12.5", "100"), scientific
// outside it ("1e-07"); Prometheus' parser (Go's strconv.ParseFloat) reads both, and
// spells the specials "NaN", "+Inf", "-Inf".
void AppendDouble(std::string* out, double value) {
  if (std::isnan(value)) {
    out->append("NaN");
    return;
  }
  if (std::isinf(value)) {
    out->append(value > 0 ? "+Inf" : "-Inf");
    return;
  }
  const double magnitude = std::fabs(value);
  const std::chars_format format = value == 0 || (magnitude >= 1e-4 && magnitude < 1e21)
                                       ? std::chars_format::fixed
                                       : std::chars_format::scientific;
  char buffer[64];  // fixed notation below 1e21 needs at most 21 + 1 + 4 + 17 digits
  const std::to_chars_result result = std::to_chars(buffer, buffer + sizeof(buffer), value, format);
  CHECK(result.ec == std::errc()) << "to_chars failed";
  out->append(buffer, result.ptr);
}

// Appends `{a="x",b="y"}` (with `le` last when given), or nothing for no labels.
void AppendLabels(std::string* out, const Labels& labels, const std::string* le = nullptr) {
  if (labels.empty() && le == nullptr) return;
  out->push_back('{');
  bool first = true;
  for (const auto& [name, value] : labels) {
    if (!first) out->push_back(',');
    first = false;
    absl::StrAppend(out, name, "=\"");
    AppendEscapedLabelValue(out, value);
    out->push_back('"');
  }
  if (le != nullptr) {
    if (!first) out->push_back(',');
    absl::StrAppend(out, "le=\"", *le, "\"");
  }
  out->push_back('}');
}

std::vector<std::string> LabelNames(const Labels& labels) {
  std::vector<std::string> names;
  names.reserve(labels.size());
  for (const auto& label : labels) names.push_back(label.first);
  return names;
}

constexpr std::string_view kHistogramSuffixes[] = {"_bucket", "_sum", "_count"};

}  // namespace

Registry::Registry() = default;
Registry::~Registry() = default;

void Registry::CheckNoHistogramCollision(std::string_view name, MetricType type) const {
  // A histogram "h" exposes h_bucket, h_sum and h_count: no other family may use them.
  for (const std::string_view suffix : kHistogramSuffixes) {
    if (type == MetricType::kHistogram) {
      CHECK(!by_name_.contains(absl::StrCat(name, suffix)))
          << "histogram " << name << " would collide with metric " << name << suffix;
    }
    if (name.size() > suffix.size() && name.substr(name.size() - suffix.size()) == suffix) {
      const std::string base(name.substr(0, name.size() - suffix.size()));
      const auto it = by_name_.find(base);
      CHECK(it == by_name_.end() || it->second->type != MetricType::kHistogram)
          << "metric " << name << " collides with histogram " << base;
    }
  }
}

Registry::Series& Registry::AddSeries(std::string_view name, std::string_view help, MetricType type,
                                      Labels labels) {
  CHECK(IsValidMetricName(name)) << "invalid metric name '" << name << "'";
  CHECK(!help.empty()) << "metric " << name << " needs help text";
  for (size_t i = 0; i < labels.size(); ++i) {
    const std::string& label = labels[i].first;
    CHECK(IsValidLabelName(label)) << "metric " << name << ": invalid label name '" << label << "'";
    CHECK(type != MetricType::kHistogram || label != "le")
        << "histogram " << name << " may not use the label 'le'";
    for (size_t j = 0; j < i; ++j) {
      CHECK(labels[j].first != label) << "metric " << name << ": label " << label << " twice";
    }
  }

  Family* family;
  if (const auto it = by_name_.find(name); it != by_name_.end()) {
    family = it->second;
    CHECK(family->type == type) << "metric " << name << " registered as " << TypeName(family->type)
                                << " and as " << TypeName(type);
    CHECK(family->help == help) << "metric " << name << " registered with two help texts";
    const std::vector<std::string> names = LabelNames(labels);
    for (const auto& series : family->series) {
      CHECK(LabelNames(series->labels) == names)
          << "metric " << name << ": every series needs the same label names ("
          << absl::StrJoin(LabelNames(series->labels), ",") << ")";
      CHECK(series->labels != labels) << "metric " << name << ": series registered twice";
    }
  } else {
    CheckNoHistogramCollision(name, type);
    auto created = std::make_unique<Family>();
    created->name = std::string(name);
    created->help = std::string(help);
    created->type = type;
    family = created.get();
    families_.push_back(std::move(created));
    by_name_.emplace(family->name, family);
  }
  family->series.push_back(std::make_unique<Series>());
  Series& series = *family->series.back();
  series.labels = std::move(labels);
  return series;
}

Counter& Registry::AddCounter(std::string_view name, std::string_view help, Labels labels) {
  absl::MutexLock lock(&mu_);
  Series& series = AddSeries(name, help, MetricType::kCounter, std::move(labels));
  auto& counter = series.metric.emplace<std::unique_ptr<Counter>>(std::make_unique<Counter>());
  return *counter;
}

Gauge& Registry::AddGauge(std::string_view name, std::string_view help, Labels labels) {
  absl::MutexLock lock(&mu_);
  Series& series = AddSeries(name, help, MetricType::kGauge, std::move(labels));
  auto& gauge = series.metric.emplace<std::unique_ptr<Gauge>>(std::make_unique<Gauge>());
  return *gauge;
}

Histogram& Registry::AddHistogram(std::string_view name, std::string_view help,
                                  std::vector<double> upper_bounds, Labels labels) {
  // Built before taking the lock: a bad bound CHECK-fails with nothing half-registered.
  auto histogram = std::make_unique<Histogram>(std::move(upper_bounds));
  absl::MutexLock lock(&mu_);
  Series& series = AddSeries(name, help, MetricType::kHistogram, std::move(labels));
  return *series.metric.emplace<std::unique_ptr<Histogram>>(std::move(histogram));
}

void Registry::AddCallbackGauge(std::string_view name, std::string_view help,
                                std::function<double()> value, Labels labels) {
  CHECK(value != nullptr) << "callback gauge " << name << " needs a callback";
  absl::MutexLock lock(&mu_);
  Series& series = AddSeries(name, help, MetricType::kGauge, std::move(labels));
  series.metric.emplace<std::function<double()>>(std::move(value));
}

std::string Registry::RenderPrometheus() const {
  std::string out;
  absl::MutexLock lock(&mu_);
  for (const auto& family : families_) {
    absl::StrAppend(&out, "# HELP ", family->name, " ");
    AppendEscapedHelp(&out, family->help);
    absl::StrAppend(&out, "\n# TYPE ", family->name, " ", TypeName(family->type), "\n");
    for (const auto& series : family->series) {
      if (const auto* counter = std::get_if<std::unique_ptr<Counter>>(&series->metric)) {
        out.append(family->name);
        AppendLabels(&out, series->labels);
        absl::StrAppend(&out, " ", (*counter)->value(), "\n");
      } else if (const auto* gauge = std::get_if<std::unique_ptr<Gauge>>(&series->metric)) {
        out.append(family->name);
        AppendLabels(&out, series->labels);
        absl::StrAppend(&out, " ", (*gauge)->value(), "\n");
      } else if (const auto* callback = std::get_if<std::function<double()>>(&series->metric)) {
        out.append(family->name);
        AppendLabels(&out, series->labels);
        out.push_back(' ');
        AppendDouble(&out, (*callback)());
        out.push_back('\n');
      } else {
        const Histogram::Snapshot snapshot =
            std::get<std::unique_ptr<Histogram>>(series->metric)->TakeSnapshot();
        for (size_t i = 0; i < snapshot.cumulative_counts.size(); ++i) {
          std::string le;
          if (i < snapshot.upper_bounds.size()) {
            AppendDouble(&le, snapshot.upper_bounds[i]);
          } else {
            le = "+Inf";
          }
          absl::StrAppend(&out, family->name, "_bucket");
          AppendLabels(&out, series->labels, &le);
          absl::StrAppend(&out, " ", snapshot.cumulative_counts[i], "\n");
        }
        absl::StrAppend(&out, family->name, "_sum");
        AppendLabels(&out, series->labels);
        out.push_back(' ');
        AppendDouble(&out, snapshot.sum);
        absl::StrAppend(&out, "\n", family->name, "_count");
        AppendLabels(&out, series->labels);
        absl::StrAppend(&out, " ", snapshot.count, "\n");
      }
    }
  }
  return out;
}

}  // namespace chat::metrics
