// Generator of the bundled synthetic test database (see testdb.h). Everything here is fictional:
// the distributions are loosely realistic so that trainees' queries give plausible answers, but
// no row is taken from, or describes, a real person.
//
// Contents:
//   1. Deterministic random numbers
//   2. Reference tables: prefectures, laboratory tests, drugs, conditions
//   3. Schema
//   4. Patient simulation (a patient's visits are planned in memory, then written in date order)
//   5. Writing, checking and publishing the file
//   6. Sample queries
#include "db/testdb.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <optional>
#include <random>
#include <span>
#include <string_view>

#include "db/sqlite.h"
#include "kiosk/time.h"

namespace kiosk::db {
namespace {

using std::chrono::days;
namespace fs = std::filesystem;

// ============================================================================================
// 1. Deterministic random numbers
// ============================================================================================

// std::mt19937_64's raw output sequence is fixed by the standard; the std distributions are not
// (libstdc++ and libc++ differ). So every mapping to a range is ours, using only integer and
// IEEE +,-,*,/ arithmetic (no libm), and the same seed gives the same database everywhere.
class Rng {
public:
    explicit Rng(std::uint64_t seed) : engine_(seed) {}

    // Uniform in [0, n), n > 0, without modulo bias (rejection of the incomplete last block).
    std::uint64_t below(std::uint64_t n) {
        const std::uint64_t limit = UINT64_MAX - UINT64_MAX % n;
        for (;;) {
            std::uint64_t x = engine_();
            if (x < limit) return x % n;
        }
    }
    // Uniform integer in [lo, hi], lo <= hi.
    int between(int lo, int hi) {
        return lo + static_cast<int>(below(static_cast<std::uint64_t>(hi - lo) + 1));
    }
    // Uniform in [0, 1) with 53 random bits.
    double unit() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
    bool chance(double p) { return unit() < p; }
    // Approximately normal: the Irwin-Hall sum of 12 uniforms, bounded to mean +- 6 sd.
    double normal(double mean, double sd) {
        double s = 0;
        for (int i = 0; i < 12; ++i) s += unit();
        return mean + sd * (s - 6.0);
    }
    // An index chosen with the given non-negative integer weights (at least one positive).
    std::size_t weighted(std::span<const int> weights) {
        std::uint64_t total = 0;
        for (int w : weights) total += static_cast<std::uint64_t>(w);
        std::uint64_t r = below(total);
        for (std::size_t i = 0; i < weights.size(); ++i) {
            if (r < static_cast<std::uint64_t>(weights[i])) return i;
            r -= static_cast<std::uint64_t>(weights[i]);
        }
        return weights.size() - 1;  // unreachable
    }

private:
    std::mt19937_64 engine_;
};

// ============================================================================================
// 2. Reference tables
// ============================================================================================

// The records cover one Japanese fiscal year (FY2023). One year, not more, keeps the default
// 2,000-patient file at a few MB.
constexpr int kPeriodYear = 2023;  // ages are counted at kPeriodStart (by birth year)
constexpr Date kPeriodStart = std::chrono::sys_days{std::chrono::year{kPeriodYear} / 4 / 1};
constexpr Date kPeriodEnd = std::chrono::sys_days{std::chrono::year{kPeriodYear + 1} / 3 / 31};

// Age bands used by every rate table: 0-19, 20-39, 40-64, 65-74, 75+.
constexpr int kBands = 5;
using BandRates = std::array<double, kBands>;
int age_band(int age) { return age < 20 ? 0 : age < 40 ? 1 : age < 65 ? 2 : age < 75 ? 3 : 4; }

struct Prefecture {
    std::string_view name;
    int weight;  // roughly the population in units of 10,000
};
constexpr std::array<Prefecture, 47> kPrefectures{{
    {"北海道", 522},   {"青森県", 124}, {"岩手県", 121},  {"宮城県", 230},   {"秋田県", 96},
    {"山形県", 107},   {"福島県", 183}, {"茨城県", 287},  {"栃木県", 193},   {"群馬県", 194},
    {"埼玉県", 734},   {"千葉県", 628}, {"東京都", 1405}, {"神奈川県", 924}, {"新潟県", 220},
    {"富山県", 103},   {"石川県", 113}, {"福井県", 77},   {"山梨県", 81},    {"長野県", 205},
    {"岐阜県", 198},   {"静岡県", 363}, {"愛知県", 754},  {"三重県", 177},   {"滋賀県", 141},
    {"京都府", 258},   {"大阪府", 884}, {"兵庫県", 547},  {"奈良県", 132},   {"和歌山県", 92},
    {"鳥取県", 55},    {"島根県", 67},  {"岡山県", 189},  {"広島県", 280},   {"山口県", 134},
    {"徳島県", 72},    {"香川県", 95},  {"愛媛県", 133},  {"高知県", 69},    {"福岡県", 514},
    {"佐賀県", 81},    {"長崎県", 131}, {"熊本県", 174},  {"大分県", 112},   {"宮崎県", 107},
    {"鹿児島県", 159}, {"沖縄県", 147},
}};

// Hospital patients are older than the population: bands of age at kPeriodStart with weights.
struct AgeBand {
    int lo, hi, weight;
};
constexpr std::array<AgeBand, 6> kPatientAges{
    {{0, 14, 8}, {15, 39, 14}, {40, 64, 30}, {65, 74, 22}, {75, 84, 18}, {85, 99, 8}}};

// ---- Laboratory tests ---------------------------------------------------------------------
// Codes have the 17-character JLAC10 shape (analyte 5, identification 4, material 3, method 3,
// result 2); they are illustrative, not an authoritative mapping.

enum Lab : int {
    kHbA1c,
    kGlucose,
    kLdlC,
    kHdlC,
    kTriglycerides,
    kAst,
    kAlt,
    kGgt,
    kCreatinine,
    kEgfr,
    kUricAcid,
    kHaemoglobin,
    kWbc,
    kPlatelets,
    kCrp,
    kPotassium,
    kBnp,
    kTsh,
    kLabCount
};

constexpr double kNoLimit = -1.0;  // a reference range open on that side (all values are >= 0)

struct LabTest {
    std::string_view code, name_en, name_ja, unit;
    double low_m, high_m, low_f, high_f;  // reference range by sex (kNoLimit: open)
    double visit_sd;                      // visit-to-visit variation around the personal level
    double min, max;                      // plausible bounds of a reported value
    int decimals;
};

constexpr std::array<LabTest, kLabCount> kLabTests{{
    {"3D046000001920401", "HbA1c", "HbA1c", "%", 4.9, 6.0, 4.9, 6.0, 0.25, 4.0, 14.0, 1},
    {"3D010000002227101", "Glucose", "血糖", "mg/dL", 73, 109, 73, 109, 14, 50, 450, 0},
    {"3F077000002327101", "LDL cholesterol", "LDLコレステロール", "mg/dL", 65, 163, 65, 163, 10, 30,
     300, 0},
    {"3F070000002327101", "HDL cholesterol", "HDLコレステロール", "mg/dL", 38, 90, 48, 103, 5, 20,
     130, 0},
    {"3F015000002327101", "Triglycerides", "中性脂肪", "mg/dL", 40, 234, 30, 117, 30, 20, 900, 0},
    {"3B035000002327201", "AST", "AST", "U/L", 13, 30, 13, 30, 4, 8, 400, 0},
    {"3B045000002327201", "ALT", "ALT", "U/L", 10, 42, 7, 23, 5, 4, 400, 0},
    {"3B090000002327201", "gamma-GT", "γ-GT", "U/L", 13, 64, 9, 32, 6, 5, 600, 0},
    {"3C015000002327101", "Creatinine", "クレアチニン", "mg/dL", 0.65, 1.07, 0.46, 0.79, 0, 0.2, 12,
     2},
    {"8A065000002391901", "eGFR", "eGFR", "mL/min/1.73m2", 60, kNoLimit, 60, kNoLimit, 4, 4, 150,
     1},
    {"3C020000002327101", "Uric acid", "尿酸", "mg/dL", 3.7, 7.8, 2.6, 5.5, 0.4, 1.0, 14, 1},
    {"2A030000001930101", "Haemoglobin", "ヘモグロビン", "g/dL", 13.7, 16.8, 11.6, 14.8, 0.4, 5, 20,
     1},
    {"2A010000001930101", "WBC", "白血球数", "10^3/uL", 3.3, 8.6, 3.3, 8.6, 0.8, 1.0, 40, 1},
    {"2A050000001930101", "Platelets", "血小板数", "10^3/uL", 158, 348, 158, 348, 20, 20, 800, 0},
    {"5C070000002306201", "CRP", "CRP", "mg/dL", 0.0, 0.14, 0.0, 0.14, 0.03, 0.01, 35, 2},
    {"3H015000002326101", "Potassium", "カリウム", "mmol/L", 3.6, 4.8, 3.6, 4.8, 0.2, 2.5, 7.0, 1},
    {"4Q020000002252201", "BNP", "BNP", "pg/mL", 0.0, 18.4, 0.0, 18.4, 6, 2, 3000, 1},
    {"4A055000002305201", "TSH", "TSH", "uIU/mL", 0.5, 5.0, 0.5, 5.0, 0.4, 0.01, 60, 2},
}};

// ---- Drugs -------------------------------------------------------------------------------
// Codes have the 12-character YJ shape (therapeutic class 4, ingredient 3, form 1, 4 more);
// the class digits are plausible, the rest is made up.

enum Drug : int {
    kMetformin,
    kSitagliptin,
    kEmpagliflozin,
    kGlimepiride,
    kInsulinGlargine,
    kAmlodipine,
    kCandesartan,
    kOlmesartan,
    kAzilsartan,
    kTrichlormethiazide,
    kAtorvastatin,
    kRosuvastatin,
    kEzetimibe,
    kBudesonideFormoterol,
    kMontelukast,
    kAlendronate,
    kEldecalcitol,
    kVonoprazan,
    kLansoprazole,
    kFamotidine,
    kRebamipide,
    kApixaban,
    kEdoxaban,
    kBisoprolol,
    kFurosemide,
    kSpironolactone,
    kCarvedilol,
    kAspirin,
    kClopidogrel,
    kCilostazol,
    kEscitalopram,
    kLemborexant,
    kZolpidem,
    kLevothyroxine,
    kFebuxostat,
    kAllopurinol,
    kCelecoxib,
    kLoxoprofen,
    kTiotropium,
    kFexofenadine,
    kHeparinoid,
    kFerrousCitrate,
    kUrsodeoxycholicAcid,
    kAcetaminophen,
    kCarbocisteine,
    kLevofloxacin,
    kOseltamivir,
    kCeftriaxone,
    kCefazolin,
    kBifidobacterium,
    kMecobalamin,
    kDapagliflozin,
    kDrugCount
};

struct DrugInfo {
    std::string_view code, name_en, name_ja, unit;
    std::array<double, 3> doses;  // daily doses a prescriber picks from (0: fewer options)
};

constexpr std::array<DrugInfo, kDrugCount> kDrugs{{
    {"3962002F1024", "metformin", "メトホルミン", "mg", {500, 1000, 1500}},
    {"3969010F1031", "sitagliptin", "シタグリプチン", "mg", {50, 100, 0}},
    {"3969019F1027", "empagliflozin", "エンパグリフロジン", "mg", {10, 25, 0}},
    {"3961008F1044", "glimepiride", "グリメピリド", "mg", {0.5, 1, 2}},
    {"2492415A1030", "insulin glargine", "インスリン グラルギン", "unit", {8, 12, 20}},
    {"2171022F1051", "amlodipine", "アムロジピン", "mg", {2.5, 5, 10}},
    {"2149040F1032", "candesartan", "カンデサルタン", "mg", {4, 8, 12}},
    {"2149044F1029", "olmesartan", "オルメサルタン", "mg", {10, 20, 40}},
    {"2149048F1020", "azilsartan", "アジルサルタン", "mg", {10, 20, 40}},
    {"2132003F1016", "trichlormethiazide", "トリクロルメチアジド", "mg", {1, 2, 0}},
    {"2189015F1022", "atorvastatin", "アトルバスタチン", "mg", {5, 10, 20}},
    {"2189017F1035", "rosuvastatin", "ロスバスタチン", "mg", {2.5, 5, 10}},
    {"2189018F1021", "ezetimibe", "エゼチミブ", "mg", {10, 0, 0}},
    {"2290801G1027",
     "budesonide/formoterol",
     "ブデソニド・ホルモテロール",
     "inhalation",
     {2, 4, 0}},
    {"4490026F1042", "montelukast", "モンテルカスト", "mg", {5, 10, 0}},
    {"3999018F1053", "alendronate", "アレンドロン酸", "mg", {5, 0, 0}},
    {"3112006M1026", "eldecalcitol", "エルデカルシトール", "ug", {0.5, 0.75, 0}},
    {"2329030F1020", "vonoprazan", "ボノプラザン", "mg", {10, 20, 0}},
    {"2329023F1034", "lansoprazole", "ランソプラゾール", "mg", {15, 30, 0}},
    {"2325003F1047", "famotidine", "ファモチジン", "mg", {20, 40, 0}},
    {"2329021F1023", "rebamipide", "レバミピド", "mg", {300, 0, 0}},
    {"3339004F1029", "apixaban", "アピキサバン", "mg", {5, 10, 0}},
    {"3339003F1031", "edoxaban", "エドキサバン", "mg", {30, 60, 0}},
    {"2123016F1044", "bisoprolol", "ビソプロロール", "mg", {1.25, 2.5, 5}},
    {"2139005F1062", "furosemide", "フロセミド", "mg", {10, 20, 40}},
    {"2133001F1035", "spironolactone", "スピロノラクトン", "mg", {25, 50, 0}},
    {"2149032F1041", "carvedilol", "カルベジロール", "mg", {2.5, 5, 10}},
    {"3399007F1068", "aspirin", "アスピリン", "mg", {100, 0, 0}},
    {"3399008F1030", "clopidogrel", "クロピドグレル", "mg", {50, 75, 0}},
    {"3399002F1028", "cilostazol", "シロスタゾール", "mg", {100, 200, 0}},
    {"1179054F1026", "escitalopram", "エスシタロプラム", "mg", {10, 20, 0}},
    {"1190028F1021", "lemborexant", "レンボレキサント", "mg", {2.5, 5, 10}},
    {"1129009F1035", "zolpidem", "ゾルピデム", "mg", {5, 10, 0}},
    {"2431004F1046", "levothyroxine", "レボチロキシン", "ug", {25, 50, 75}},
    {"3949003F1027", "febuxostat", "フェブキソスタット", "mg", {10, 20, 40}},
    {"3943001F1059", "allopurinol", "アロプリノール", "mg", {100, 200, 0}},
    {"1149037F1025", "celecoxib", "セレコキシブ", "mg", {200, 400, 0}},
    {"1149019F1064", "loxoprofen", "ロキソプロフェン", "mg", {120, 180, 0}},
    {"2259707G1021", "tiotropium", "チオトロピウム", "inhalation", {2, 0, 0}},
    {"4490023F1033", "fexofenadine", "フェキソフェナジン", "mg", {120, 0, 0}},
    {"3339950N1047", "heparinoid", "ヘパリン類似物質", "g", {5, 10, 0}},
    {"3222013F1030", "sodium ferrous citrate", "クエン酸第一鉄ナトリウム", "mg", {50, 100, 0}},
    {"2362001F1025", "ursodeoxycholic acid", "ウルソデオキシコール酸", "mg", {300, 600, 0}},
    {"1141007F1073", "acetaminophen", "アセトアミノフェン", "mg", {1200, 1500, 2000}},
    {"2233002F1048", "carbocisteine", "カルボシステイン", "mg", {1500, 0, 0}},
    {"6241013F1027", "levofloxacin", "レボフロキサシン", "mg", {500, 0, 0}},
    {"6250021M1022", "oseltamivir", "オセルタミビル", "mg", {150, 0, 0}},
    {"6132419A1035", "ceftriaxone", "セフトリアキソン", "g", {1, 2, 0}},
    {"6132401A1024", "cefazolin", "セファゾリン", "g", {2, 3, 0}},
    {"2316004B1029", "bifidobacterium", "ビフィズス菌", "g", {3, 0, 0}},
    {"3136004F1030", "mecobalamin", "メコバラミン", "ug", {1500, 0, 0}},
    {"3969018F1022", "dapagliflozin", "ダパグリフロジン", "mg", {5, 10, 0}},
}};

// ---- Conditions --------------------------------------------------------------------------

enum class Kind { Chronic, Acute, Admission };

struct Regimen {
    Drug drug;
    int percent;  // share of patients with the condition who get it
};

struct Condition {
    std::string_view icd10, name_ja, name_en, department;
    Kind kind;
    // Chronic: share of patients in the age band who have it. Acute/Admission: episodes per
    // person-year in the band. Both for men; women's rate is multiplied by female_factor.
    BandRates rate;
    double female_factor;
    std::vector<Regimen> regimen;  // chronic: kept over the period; acute: for the episode
    std::vector<Lab> labs;         // tests drawn at a visit for this condition
    int inpatient_percent = 0;     // acute episodes treated as an admission
    int los_min = 0, los_max = 0;  // length of stay of an admission, days
    int course_days = 5;           // acute prescriptions' duration (an admission: its stay)
    bool winter_only = false;      // occurs December..March only
};

const std::vector<Condition>& conditions() {
    using enum Kind;
    static const std::vector<Condition> table = {
        // Chronic (table order is also the order in which a visit lists them).
        {"E11.9",
         "2型糖尿病",
         "Type 2 diabetes mellitus without complications",
         "Internal Medicine",
         Chronic,
         {0.002, 0.015, 0.09, 0.17, 0.19},
         0.6,
         {{kMetformin, 70},
          {kSitagliptin, 45},
          {kEmpagliflozin, 20},
          {kGlimepiride, 12},
          {kInsulinGlargine, 7}},
         {kHbA1c, kGlucose, kCreatinine, kEgfr, kAlt}},
        {"I10",
         "本態性高血圧症",
         "Essential (primary) hypertension",
         "Internal Medicine",
         Chronic,
         {0.002, 0.03, 0.2, 0.4, 0.5},
         0.85,
         {{kAmlodipine, 65},
          {kCandesartan, 25},
          {kOlmesartan, 20},
          {kAzilsartan, 15},
          {kTrichlormethiazide, 8}},
         {kCreatinine, kEgfr, kPotassium}},
        {"E78.5",
         "脂質異常症",
         "Hyperlipidaemia, unspecified",
         "Internal Medicine",
         Chronic,
         {0.001, 0.03, 0.15, 0.25, 0.22},
         1.2,
         {{kAtorvastatin, 45}, {kRosuvastatin, 40}, {kEzetimibe, 15}},
         {kLdlC, kHdlC, kTriglycerides, kAst, kAlt}},
        {"E79.0",
         "高尿酸血症",
         "Hyperuricaemia without signs of inflammatory arthritis",
         "Internal Medicine",
         Chronic,
         {0.0, 0.03, 0.06, 0.06, 0.05},
         0.15,
         {{kFebuxostat, 60}, {kAllopurinol, 35}},
         {kUricAcid, kCreatinine, kEgfr}},
        {"E03.9",
         "甲状腺機能低下症",
         "Hypothyroidism, unspecified",
         "Internal Medicine",
         Chronic,
         {0.001, 0.003, 0.005, 0.007, 0.007},
         4.0,
         {{kLevothyroxine, 100}},
         {kTsh}},
        {"D50.9",
         "鉄欠乏性貧血",
         "Iron deficiency anaemia, unspecified",
         "Internal Medicine",
         Chronic,
         {0.002, 0.004, 0.004, 0.004, 0.006},
         5.0,
         {{kFerrousCitrate, 100}},
         {kHaemoglobin}},
        {"N18.3",
         "慢性腎臓病ステージ3",
         "Chronic kidney disease, stage 3",
         "Nephrology",
         Chronic,
         {0.0, 0.002, 0.015, 0.05, 0.1},
         0.9,
         {{kDapagliflozin, 40}, {kFebuxostat, 20}},
         {kCreatinine, kEgfr, kPotassium, kUricAcid, kHaemoglobin}},
        {"I48.9",
         "心房細動",
         "Atrial fibrillation and atrial flutter, unspecified",
         "Cardiology",
         Chronic,
         {0.0, 0.001, 0.01, 0.03, 0.06},
         0.6,
         {{kApixaban, 50}, {kEdoxaban, 45}, {kBisoprolol, 50}},
         {kHaemoglobin, kCreatinine, kEgfr, kBnp}},
        {"I50.0",
         "うっ血性心不全",
         "Congestive heart failure",
         "Cardiology",
         Chronic,
         {0.0, 0.0, 0.005, 0.02, 0.06},
         0.9,
         {{kFurosemide, 80}, {kSpironolactone, 45}, {kCarvedilol, 50}},
         {kBnp, kPotassium, kCreatinine, kEgfr}},
        {"I25.1",
         "動脈硬化性心疾患",
         "Atherosclerotic heart disease",
         "Cardiology",
         Chronic,
         {0.0, 0.0, 0.01, 0.04, 0.06},
         0.5,
         {{kAspirin, 85}, {kClopidogrel, 40}, {kAtorvastatin, 50}},
         {kLdlC, kHdlC, kTriglycerides}},
        {"I69.3",
         "脳梗塞後遺症",
         "Sequelae of cerebral infarction",
         "Neurology",
         Chronic,
         {0.0, 0.0, 0.008, 0.025, 0.05},
         0.7,
         {{kClopidogrel, 55}, {kCilostazol, 35}},
         {kLdlC}},
        {"J45.9",
         "気管支喘息",
         "Asthma, unspecified",
         "Respiratory Medicine",
         Chronic,
         {0.06, 0.04, 0.04, 0.05, 0.05},
         1.1,
         {{kBudesonideFormoterol, 75}, {kMontelukast, 45}},
         {}},
        {"J44.9",
         "慢性閉塞性肺疾患",
         "Chronic obstructive pulmonary disease, unspecified",
         "Respiratory Medicine",
         Chronic,
         {0.0, 0.0, 0.01, 0.03, 0.04},
         0.3,
         {{kTiotropium, 85}, {kCarbocisteine, 30}},
         {}},
        {"K21.0",
         "逆流性食道炎",
         "Gastro-oesophageal reflux disease with oesophagitis",
         "Gastroenterology",
         Chronic,
         {0.002, 0.02, 0.05, 0.07, 0.08},
         1.0,
         {{kVonoprazan, 55}, {kLansoprazole, 35}, {kFamotidine, 10}},
         {}},
        {"K29.5",
         "慢性胃炎",
         "Chronic gastritis, unspecified",
         "Gastroenterology",
         Chronic,
         {0.0, 0.01, 0.03, 0.05, 0.05},
         1.0,
         {{kRebamipide, 70}, {kFamotidine, 40}},
         {}},
        {"B18.2",
         "慢性C型肝炎",
         "Chronic viral hepatitis C",
         "Gastroenterology",
         Chronic,
         {0.0, 0.001, 0.003, 0.006, 0.006},
         1.0,
         {{kUrsodeoxycholicAcid, 70}},
         {kAst, kAlt, kGgt, kPlatelets}},
        {"F32.9",
         "うつ病エピソード",
         "Depressive episode, unspecified",
         "Psychiatry",
         Chronic,
         {0.005, 0.03, 0.03, 0.02, 0.02},
         1.5,
         {{kEscitalopram, 80}, {kLemborexant, 25}},
         {}},
        {"G47.0",
         "不眠症",
         "Disorders of initiating and maintaining sleep",
         "Psychiatry",
         Chronic,
         {0.002, 0.02, 0.04, 0.06, 0.08},
         1.2,
         {{kLemborexant, 55}, {kZolpidem, 40}},
         {}},
        {"M81.0",
         "閉経後骨粗鬆症",
         "Postmenopausal osteoporosis",
         "Orthopaedics",
         Chronic,
         {0.0, 0.0, 0.0, 0.0, 0.0},
         1.0,
         {{kAlendronate, 60}, {kEldecalcitol, 55}},
         {}},
        {"M17.9",
         "変形性膝関節症",
         "Gonarthrosis, unspecified",
         "Orthopaedics",
         Chronic,
         {0.0, 0.0, 0.03, 0.08, 0.12},
         1.8,
         {{kCelecoxib, 50}, {kLoxoprofen, 40}},
         {}},
        {"L20.9",
         "アトピー性皮膚炎",
         "Atopic dermatitis, unspecified",
         "Dermatology",
         Chronic,
         {0.08, 0.04, 0.01, 0.005, 0.003},
         1.0,
         {{kHeparinoid, 90}, {kFexofenadine, 40}},
         {}},
        {"J30.4",
         "アレルギー性鼻炎",
         "Allergic rhinitis, unspecified",
         "Otolaryngology",
         Chronic,
         {0.07, 0.05, 0.03, 0.015, 0.01},
         1.0,
         {{kFexofenadine, 70}, {kMontelukast, 30}},
         {}},
        // Acute episodes, mostly outpatient.
        {"J06.9",
         "急性上気道炎",
         "Acute upper respiratory infection, unspecified",
         "Internal Medicine",
         Acute,
         {0.8, 0.35, 0.25, 0.2, 0.2},
         1.1,
         {{kAcetaminophen, 60}, {kCarbocisteine, 50}},
         {},
         0,
         0,
         0,
         5},
        {"J10.1",
         "インフルエンザ",
         "Influenza with other respiratory manifestations, virus identified",
         "Internal Medicine",
         Acute,
         {0.15, 0.07, 0.05, 0.05, 0.06},
         1.0,
         {{kOseltamivir, 85}, {kAcetaminophen, 50}},
         {},
         2,
         5,
         9,
         5,
         true},
        {"A09.9",
         "感染性胃腸炎",
         "Gastroenteritis and colitis of unspecified origin",
         "Internal Medicine",
         Acute,
         {0.25, 0.08, 0.05, 0.05, 0.06},
         1.0,
         {{kBifidobacterium, 70}},
         {},
         3,
         3,
         6,
         5},
        {"N39.0",
         "尿路感染症",
         "Urinary tract infection, site not specified",
         "Internal Medicine",
         Acute,
         {0.005, 0.01, 0.012, 0.02, 0.035},
         3.5,
         {{kLevofloxacin, 90}},
         {kWbc, kCrp},
         8,
         5,
         10,
         7},
        {"M54.5",
         "腰痛症",
         "Low back pain",
         "Orthopaedics",
         Acute,
         {0.01, 0.06, 0.08, 0.08, 0.07},
         1.1,
         {{kLoxoprofen, 60}, {kMecobalamin, 30}},
         {},
         0,
         0,
         0,
         14},
        {"R51",
         "頭痛",
         "Headache",
         "Neurology",
         Acute,
         {0.03, 0.05, 0.04, 0.02, 0.02},
         1.6,
         {{kAcetaminophen, 70}},
         {},
         0,
         0,
         0,
         7},
        {"J18.9",
         "肺炎",
         "Pneumonia, unspecified",
         "Respiratory Medicine",
         Acute,
         {0.02, 0.005, 0.01, 0.03, 0.08},
         0.8,
         {{kLevofloxacin, 100}},
         {kWbc, kCrp, kHaemoglobin, kPlatelets, kAst, kAlt, kCreatinine, kEgfr},
         45,
         7,
         16,
         7},
        // Admissions.
        {"S72.0",
         "大腿骨頸部骨折",
         "Fracture of neck of femur",
         "Orthopaedics",
         Admission,
         {0.0, 0.0, 0.001, 0.004, 0.02},
         2.5,
         {{kCefazolin, 100}, {kAcetaminophen, 80}},
         {},
         100,
         20,
         40,
         3},
        {"K35.8",
         "急性虫垂炎",
         "Acute appendicitis, other and unspecified",
         "Surgery",
         Admission,
         {0.0015, 0.0015, 0.001, 0.001, 0.001},
         1.0,
         {{kCefazolin, 100}, {kAcetaminophen, 60}},
         {kWbc, kCrp},
         100,
         4,
         8,
         3},
        {"H25.9",
         "老人性白内障",
         "Senile cataract, unspecified",
         "Ophthalmology",
         Admission,
         {0.0, 0.0, 0.005, 0.03, 0.04},
         1.1,
         {{kLevofloxacin, 30}},
         {},
         100,
         2,
         4,
         3},
        {"C34.9",
         "肺癌",
         "Malignant neoplasm: bronchus or lung, unspecified",
         "Respiratory Medicine",
         Admission,
         {0.0, 0.0, 0.001, 0.004, 0.005},
         0.45,
         {{kAcetaminophen, 70}},
         {},
         100,
         10,
         20,
         0},
        {"C18.9",
         "結腸癌",
         "Malignant neoplasm: colon, unspecified",
         "Surgery",
         Admission,
         {0.0, 0.0, 0.001, 0.003, 0.004},
         0.8,
         {{kCefazolin, 100}, {kAcetaminophen, 60}},
         {},
         100,
         10,
         18,
         3},
        {"I21.9",
         "急性心筋梗塞",
         "Acute myocardial infarction, unspecified",
         "Cardiology",
         Admission,
         {0.0, 0.0, 0.001, 0.003, 0.005},
         0.4,
         {{kAspirin, 100}, {kClopidogrel, 90}, {kAtorvastatin, 80}},
         {kBnp, kCrp},
         100,
         10,
         18,
         0},
    };
    return table;
}

int condition_index(std::string_view icd10) {
    const auto& t = conditions();
    for (std::size_t i = 0; i < t.size(); ++i)
        if (t[i].icd10 == icd10) return static_cast<int>(i);
    throw std::logic_error(fmt::format("testdb: no condition {}", icd10));
}

// Osteoporosis is modelled for women only (rate for women, by band).
constexpr BandRates kOsteoporosisWomen{0.0, 0.0, 0.04, 0.14, 0.25};

// Comorbidity: having `given` multiplies the chance of `then` (listed after it in the table).
struct Comorbidity {
    std::string_view given, then;
    double factor;
};
constexpr std::array<Comorbidity, 8> kComorbidities{{
    {"E11.9", "I10", 1.5},
    {"E11.9", "E78.5", 1.8},
    {"E11.9", "N18.3", 3.0},
    {"I10", "N18.3", 1.6},
    {"I10", "I50.0", 1.5},
    {"E78.5", "I25.1", 1.8},
    {"I10", "I69.3", 1.5},
    {"I48.9", "I50.0", 2.0},
}};

// The tests of a yearly general check at a chronic-care visit.
constexpr std::array<Lab, 10> kGeneralPanel{
    kWbc, kHaemoglobin, kPlatelets, kAst, kAlt, kCreatinine, kEgfr, kLdlC, kGlucose, kHbA1c};
// The tests drawn on admission.
constexpr std::array<Lab, 10> kAdmissionPanel{kWbc, kHaemoglobin, kPlatelets, kCrp,       kAst,
                                              kAlt, kCreatinine,  kEgfr,      kPotassium, kGlucose};

// ============================================================================================
// 3. Schema
// ============================================================================================

// Comments inside CREATE TABLE are kept by SQLite, so trainees see them in the schema browser.
constexpr std::string_view kSchema = R"sql(
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
-- Master tables: every drug and laboratory test that the records use, with Japanese names.
CREATE TABLE drugs (
    drug_code       TEXT PRIMARY KEY CHECK (length(drug_code) = 12),  -- YJ-code-like, fictional
    generic_name    TEXT NOT NULL UNIQUE,
    generic_name_ja TEXT NOT NULL,
    unit            TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE lab_tests (
    test_code    TEXT PRIMARY KEY CHECK (length(test_code) = 17),  -- JLAC10-like, illustrative
    test_name    TEXT NOT NULL UNIQUE,
    test_name_ja TEXT NOT NULL,
    unit         TEXT NOT NULL,
    ref_low_m    REAL, ref_high_m REAL,          -- reference range for men (NULL: open)
    ref_low_f    REAL, ref_high_f REAL           -- and for women
) WITHOUT ROWID;
CREATE TABLE patients (
    patient_id TEXT PRIMARY KEY                  -- 'P' + 7 digits; fictional
               CHECK (patient_id GLOB 'P[0-9][0-9][0-9][0-9][0-9][0-9][0-9]'),
    sex        TEXT NOT NULL CHECK (sex IN ('M', 'F')),
    birth_year INTEGER NOT NULL,
    prefecture TEXT NOT NULL                     -- prefecture of residence, e.g. '東京都'
);
CREATE TABLE visits (
    visit_id       INTEGER PRIMARY KEY,          -- an outpatient visit or an admission
    patient_id     TEXT NOT NULL REFERENCES patients(patient_id),
    visit_date     TEXT NOT NULL,                -- YYYY-MM-DD (admission date for inpatients)
    department     TEXT NOT NULL,
    setting        TEXT NOT NULL CHECK (setting IN ('outpatient', 'inpatient')),
    discharge_date TEXT,                         -- inpatients only
    CHECK ((setting = 'inpatient') = (discharge_date IS NOT NULL)),
    CHECK (discharge_date IS NULL OR discharge_date >= visit_date)
);
CREATE TABLE diagnoses (
    diagnosis_id INTEGER PRIMARY KEY,
    visit_id     INTEGER NOT NULL REFERENCES visits(visit_id),
    icd10        TEXT NOT NULL,                  -- ICD-10 code with a dot, e.g. 'E11.9'
    name_ja      TEXT NOT NULL,
    name_en      TEXT NOT NULL,
    is_main      INTEGER NOT NULL CHECK (is_main IN (0, 1)),  -- the visit's main diagnosis
    onset_date   TEXT                            -- YYYY-MM-DD
);
CREATE TABLE prescriptions (
    prescription_id INTEGER PRIMARY KEY,
    visit_id        INTEGER NOT NULL REFERENCES visits(visit_id),
    drug_code       TEXT NOT NULL REFERENCES drugs(drug_code),
    generic_name    TEXT NOT NULL,               -- English generic name, e.g. 'metformin'
    dose            REAL NOT NULL,               -- amount per day
    unit            TEXT NOT NULL,               -- unit of dose: mg, g, ug, unit, inhalation
    days            INTEGER NOT NULL CHECK (days > 0)
);
CREATE TABLE lab_results (
    lab_result_id INTEGER PRIMARY KEY,
    visit_id      INTEGER NOT NULL REFERENCES visits(visit_id),
    sampled_date  TEXT NOT NULL,                 -- YYYY-MM-DD
    test_code     TEXT NOT NULL REFERENCES lab_tests(test_code),
    test_name     TEXT NOT NULL,                 -- e.g. 'HbA1c', 'LDL cholesterol', 'eGFR'
    value         REAL NOT NULL,
    unit          TEXT NOT NULL,
    ref_low       REAL,                          -- reference range (NULL: open on that side)
    ref_high      REAL,
    abnormal      TEXT NOT NULL CHECK (abnormal IN ('H', 'L', ''))  -- against the range
);
)sql";

// Indexes are built after the rows are in (faster than maintaining them row by row).
constexpr std::string_view kIndexes = R"sql(
CREATE INDEX visits_patient ON visits(patient_id);
CREATE INDEX visits_date ON visits(visit_date);
CREATE INDEX diagnoses_visit ON diagnoses(visit_id);
CREATE INDEX diagnoses_icd10 ON diagnoses(icd10);
CREATE INDEX prescriptions_visit ON prescriptions(visit_id);
CREATE INDEX prescriptions_drug ON prescriptions(generic_name);
CREATE INDEX lab_results_visit ON lab_results(visit_id);
CREATE INDEX lab_results_test ON lab_results(test_code);
)sql";

// ============================================================================================
// 4. Patient simulation
// ============================================================================================

struct PatientDrug {
    Drug drug;
    double dose;
};

struct ChronicCondition {
    int condition;  // index into conditions()
    Date onset;
    std::vector<PatientDrug> drugs;
};

struct Patient {
    std::string id;
    bool female = false;
    int birth_year = 0;
    int age = 0;  // at kPeriodStart, by birth year
    std::string_view prefecture;
    std::vector<ChronicCondition> chronic;
    std::array<double, kLabCount> level{};  // personal level of each test (eGFR-derived: Cre)

    bool has(int condition) const {
        return std::any_of(chronic.begin(), chronic.end(),
                           [&](const ChronicCondition& c) { return c.condition == condition; });
    }
    bool takes(Drug d) const {
        for (const auto& c : chronic)
            for (const auto& pd : c.drugs)
                if (pd.drug == d) return true;
        return false;
    }
};

struct DiagnosisRow {
    int condition;
    bool main;
    Date onset;
};
struct PrescriptionRow {
    PatientDrug drug;
    int days;
};
struct LabRow {
    Lab test;
    double value;
    Date sampled;
};
struct PlannedVisit {
    Date date;
    std::optional<Date> discharge;
    std::string_view department;
    std::vector<DiagnosisRow> diagnoses;
    std::vector<PrescriptionRow> prescriptions;
    std::vector<LabRow> labs;
};

enum class Inflammation { None, Mild, Severe };

double clamp(double v, double lo, double hi) { return v < lo ? lo : v > hi ? hi : v; }

double round_to(double v, int decimals) {
    double scale = decimals == 0 ? 1 : decimals == 1 ? 10 : 100;
    return std::round(v * scale) / scale;  // std::round is exact (no libm approximation)
}

// A Sunday outpatient visit moves to Monday (clinics are closed on Sundays).
Date weekday_for_clinic(Date d) {
    return std::chrono::weekday{d} == std::chrono::Sunday ? d + days{1} : d;
}

Date random_date(Rng& rng, Date from, Date to) {
    return from + days{rng.between(0, static_cast<int>((to - from).count()))};
}

class Simulator {
public:
    explicit Simulator(std::uint64_t seed) : rng_(seed) {
        for (const auto& c : kComorbidities)
            comorbidity_.push_back({condition_index(c.given), condition_index(c.then), c.factor});
        osteoporosis_ = condition_index("M81.0");
    }

    Patient make_patient(int number) {
        Patient p;
        p.id = fmt::format("P{:07d}", number);
        p.female = rng_.chance(0.52);
        int ages[kPatientAges.size()];
        for (std::size_t i = 0; i < kPatientAges.size(); ++i) ages[i] = kPatientAges[i].weight;
        const AgeBand& band = kPatientAges[rng_.weighted(ages)];
        p.age = rng_.between(band.lo, band.hi);
        p.birth_year = kPeriodYear - p.age;
        int weights[kPrefectures.size()];
        for (std::size_t i = 0; i < kPrefectures.size(); ++i) weights[i] = kPrefectures[i].weight;
        p.prefecture = kPrefectures[rng_.weighted(weights)].name;

        const auto& table = conditions();
        const int band_index = age_band(p.age);
        for (std::size_t i = 0; i < table.size(); ++i) {
            const Condition& c = table[i];
            if (c.kind != Kind::Chronic) continue;
            double p_has = c.rate[static_cast<std::size_t>(band_index)];
            if (static_cast<int>(i) == osteoporosis_)
                p_has = p.female ? kOsteoporosisWomen[static_cast<std::size_t>(band_index)] : 0;
            else if (p.female)
                p_has *= c.female_factor;
            for (const auto& m : comorbidity_)
                if (m.then == static_cast<int>(i) && p.has(m.given)) p_has *= m.factor;
            if (!rng_.chance(std::min(p_has, 0.95))) continue;
            ChronicCondition cc{static_cast<int>(i), onset_before_or_in_period(p), {}};
            for (const Regimen& r : c.regimen)
                if (rng_.chance(r.percent / 100.0)) cc.drugs.push_back(pick_dose(r.drug));
            if (cc.drugs.empty() && !c.regimen.empty())
                cc.drugs.push_back(pick_dose(c.regimen.front().drug));
            p.chronic.push_back(std::move(cc));
        }
        set_levels(p);
        return p;
    }

    // Every visit of the patient in the period, in date order.
    std::vector<PlannedVisit> plan_visits(const Patient& p) {
        std::vector<PlannedVisit> visits;
        plan_chronic_care(p, visits);
        plan_episodes(p, visits);
        if (visits.empty()) plan_first_visit(p, visits);
        std::stable_sort(
            visits.begin(), visits.end(),
            [](const PlannedVisit& a, const PlannedVisit& b) { return a.date < b.date; });
        return visits;
    }

private:
    struct Boost {
        int given, then;
        double factor;
    };

    PatientDrug pick_dose(Drug d) {
        const auto& doses = kDrugs[d].doses;
        int options = doses[2] > 0 ? 3 : doses[1] > 0 ? 2 : 1;
        return {d, doses[static_cast<std::size_t>(rng_.between(0, options - 1))]};
    }

    // Most chronic conditions started years before the period; about one in six within it.
    Date onset_before_or_in_period(const Patient& p) {
        Date earliest = std::chrono::sys_days{std::chrono::year{p.birth_year + 1} / 1 / 1};
        Date onset = rng_.chance(0.17) ? random_date(rng_, kPeriodStart, kPeriodEnd - days{60})
                                       : kPeriodStart - days{rng_.between(30, 15 * 365)};
        return std::max(onset, earliest);
    }

    // ---- Personal levels: what a patient's tests hover around ----------------------------
    void set_levels(Patient& p) {
        auto has = [&](std::string_view icd10) { return p.has(condition_index(icd10)); };
        const bool f = p.female;
        const double age = p.age;
        auto& L = p.level;
        if (has("E11.9")) {
            double a1c = clamp(rng_.normal(7.4, 0.9), 6.3, 11.5);
            if (p.takes(kMetformin)) a1c -= 0.2;
            L[kHbA1c] = a1c;
        } else {
            L[kHbA1c] = clamp(rng_.normal(5.3 + 0.006 * age, 0.25), 4.6, 6.4);
        }
        L[kGlucose] = 0;  // derived from HbA1c at each visit
        double ldl = rng_.normal(112 + 0.3 * age, 25);
        if (has("E78.5")) ldl = rng_.normal(158, 25);
        if (p.takes(kAtorvastatin) || p.takes(kRosuvastatin)) ldl *= 0.68;
        if (p.takes(kEzetimibe)) ldl *= 0.82;
        L[kLdlC] = clamp(ldl, 45, 260);
        L[kHdlC] = clamp(rng_.normal(f ? 66 : 55, f ? 14 : 12), 28, 120);
        L[kTriglycerides] = has("E78.5") ? clamp(rng_.normal(175, 70), 35, 700)
                                         : clamp(rng_.normal(f ? 85 : 120, f ? 35 : 50), 30, 500);
        L[kAst] = clamp(rng_.normal(22, 5), 10, 60);
        L[kAlt] = clamp(rng_.normal(f ? 16 : 22, f ? 5 : 8) + (has("E11.9") ? 6 : 0), 6, 90);
        L[kGgt] = clamp(rng_.normal(f ? 20 : 35, f ? 8 : 20), 8, 300);
        if (has("B18.2")) {
            L[kAst] = clamp(rng_.normal(55, 20), 25, 200);
            L[kAlt] = clamp(rng_.normal(60, 25), 25, 250);
            L[kGgt] = clamp(rng_.normal(60, 30), 15, 300);
        }
        double egfr = clamp(rng_.normal(112 - 0.6 * age, 10), 50, 130);
        if (has("N18.3")) egfr = 30 + rng_.unit() * 29;
        if (has("I50.0")) egfr -= 6;
        L[kEgfr] = clamp(egfr, 12, 130);
        L[kCreatinine] = 0;  // derived from eGFR at each visit
        double ua = rng_.normal(f ? 4.6 : 6.0, f ? 0.8 : 1.0) + (has("N18.3") ? 0.8 : 0);
        if (has("E79.0")) ua = rng_.normal(8.3, 0.8);
        if (p.takes(kFebuxostat) || p.takes(kAllopurinol)) ua = rng_.normal(5.8, 0.7);
        L[kUricAcid] = clamp(ua, 2.0, 12);
        double hb = rng_.normal(f ? 13.2 : 15.0, 0.9) - (age >= 75 ? 0.5 : 0);
        if (has("N18.3")) hb -= 1.2;
        if (has("D50.9")) hb = rng_.normal(10.3, 0.9);
        L[kHaemoglobin] = clamp(hb, 7, 18.5);
        L[kWbc] = clamp(rng_.normal(6.0, 1.3), 3.0, 11);
        L[kPlatelets] = clamp(rng_.normal(has("B18.2") ? 140 : 250, 50), 60, 480);
        L[kCrp] = clamp(rng_.normal(0.06, 0.04), 0.01, 0.3);
        double k = rng_.normal(4.2, 0.25) + (has("N18.3") ? 0.3 : 0) +
                   (p.takes(kSpironolactone) ? 0.3 : 0) - (p.takes(kFurosemide) ? 0.2 : 0);
        L[kPotassium] = clamp(k, 3.2, 5.8);
        double bnp = clamp(rng_.normal(8 + 0.25 * age, 8), 2, 80);
        if (has("I48.9")) bnp += rng_.normal(70, 25);
        if (has("I50.0")) bnp = rng_.normal(330, 140);
        L[kBnp] = clamp(bnp, 2, 1500);
        double tsh = clamp(rng_.normal(1.8, 0.8), 0.3, 4.8);
        if (has("E03.9")) tsh = clamp(rng_.normal(3.4, 1.6), 0.3, 12);
        L[kTsh] = tsh;
    }

    // Serum creatinine that gives `egfr` by the Japanese equation
    // (eGFR = 194 x Cr^-1.094 x age^-0.287, x 0.739 for women), simplified to Cr = k(age) / eGFR
    // with k linear in age (within 4 % over 20..90 years) to stay in plain arithmetic.
    static double creatinine_for(const Patient& p, double egfr) {
        const double age = p.age < 20 ? 20 : p.age;
        const double k = 60.0 + 0.27 * (60.0 - age);
        return k / egfr * (p.female ? 0.76 : 1.0);
    }

    // One visit's results for `tests`: around the personal levels, correlated where physiology
    // says so (glucose with HbA1c, creatinine with eGFR, CRP and WBC with inflammation).
    void draw_labs(const Patient& p, std::span<const Lab> tests, Date sampled, Inflammation infl,
                   std::vector<LabRow>& out) {
        std::optional<double> a1c, egfr;
        auto visit_a1c = [&] {
            if (!a1c) a1c = p.level[kHbA1c] + rng_.normal(0, kLabTests[kHbA1c].visit_sd);
            return *a1c;
        };
        auto visit_egfr = [&] {
            if (!egfr) egfr = p.level[kEgfr] + rng_.normal(0, kLabTests[kEgfr].visit_sd);
            return clamp(*egfr, 4, 150);
        };
        for (Lab t : tests) {
            if (std::any_of(out.begin(), out.end(),
                            [&](const LabRow& r) { return r.test == t && r.sampled == sampled; }))
                continue;  // already drawn for this sample (panels overlap)
            const LabTest& info = kLabTests[t];
            double v;
            switch (t) {
                case kHbA1c:
                    v = visit_a1c();
                    break;
                case kGlucose:
                    // Roughly fasting glucose for the HbA1c (93 mg/dL at 5.6 %, 147 at 7.4 %).
                    v = 30.0 * visit_a1c() - 75.0 + rng_.normal(0, info.visit_sd);
                    break;
                case kEgfr:
                    v = visit_egfr();
                    break;
                case kCreatinine:
                    v = creatinine_for(p, visit_egfr());
                    break;
                case kCrp:
                    v = infl == Inflammation::Severe ? rng_.normal(9, 4)
                        : infl == Inflammation::Mild
                            ? rng_.normal(1.6, 0.8)
                            : p.level[kCrp] + rng_.normal(0, info.visit_sd);
                    break;
                case kWbc:
                    v = p.level[kWbc] + rng_.normal(0, info.visit_sd) +
                        (infl == Inflammation::Severe ? 6.0
                         : infl == Inflammation::Mild ? 2.0
                                                      : 0);
                    break;
                default:
                    v = p.level[t] + rng_.normal(0, info.visit_sd);
                    break;
            }
            out.push_back({t, round_to(clamp(v, info.min, info.max), info.decimals), sampled});
        }
    }

    // ---- Chronic care: one series of regular outpatient visits per department ------------
    void plan_chronic_care(const Patient& p, std::vector<PlannedVisit>& visits) {
        const auto& table = conditions();
        std::vector<std::string_view> departments;
        for (const auto& c : p.chronic) {
            std::string_view d = table[static_cast<std::size_t>(c.condition)].department;
            if (std::find(departments.begin(), departments.end(), d) == departments.end())
                departments.push_back(d);
        }
        for (std::string_view dept : departments) {
            std::vector<const ChronicCondition*> managed;
            std::vector<Lab> labs;
            for (const auto& c : p.chronic) {
                const Condition& info = table[static_cast<std::size_t>(c.condition)];
                if (info.department != dept) continue;
                managed.push_back(&c);
                labs.insert(labs.end(), info.labs.begin(), info.labs.end());
            }
            static constexpr std::array<int, 3> kIntervals{28, 56, 84};
            static constexpr std::array<int, 3> kIntervalWeights{30, 40, 30};
            const int interval = kIntervals[rng_.weighted(kIntervalWeights)];
            Date first_onset = managed.front()->onset;
            for (const auto* c : managed) first_onset = std::min(first_onset, c->onset);
            Date date = first_onset >= kPeriodStart
                            ? first_onset
                            : kPeriodStart + days{rng_.between(0, interval - 1)};
            const bool lapses = rng_.chance(0.06);  // stops coming during the period
            int last_checkup_year = 0;
            const std::string_view shown_dept = p.age < 15 ? "Paediatrics" : dept;
            while (true) {
                date = weekday_for_clinic(date);
                if (date > kPeriodEnd) break;
                PlannedVisit v{date, std::nullopt, shown_dept, {}, {}, {}};
                bool main = true;
                for (const auto* c : managed) {
                    if (c->onset > date) continue;  // not diagnosed yet
                    v.diagnoses.push_back({c->condition, main, c->onset});
                    main = false;
                    for (const auto& d : c->drugs) v.prescriptions.push_back({d, interval});
                }
                if (!v.diagnoses.empty()) {
                    // The first visit of each fiscal year adds a general check.
                    const auto ymd = std::chrono::year_month_day{date};
                    const int fiscal =
                        static_cast<int>(ymd.year()) - (ymd.month() < std::chrono::April ? 1 : 0);
                    if (fiscal != last_checkup_year &&
                        (dept == "Internal Medicine" || dept == "Cardiology" ||
                         dept == "Nephrology")) {
                        last_checkup_year = fiscal;
                        draw_labs(p, kGeneralPanel, date, Inflammation::None, v.labs);
                        draw_labs(p, labs, date, Inflammation::None, v.labs);
                    } else if (!labs.empty() && rng_.chance(0.35)) {
                        draw_labs(p, labs, date, Inflammation::None, v.labs);
                    }
                    visits.push_back(std::move(v));
                }
                if (lapses && rng_.chance(0.08)) break;
                date += days{interval + rng_.between(-3, 3)};
            }
        }
    }

    // ---- Acute episodes and admissions, month by month ----------------------------------
    void plan_episodes(const Patient& p, std::vector<PlannedVisit>& visits) {
        const auto& table = conditions();
        const auto band = static_cast<std::size_t>(age_band(p.age));
        for (auto month =
                 std::chrono::year_month{std::chrono::year{kPeriodYear}, std::chrono::April};
             std::chrono::sys_days{month / 1} <= kPeriodEnd; month += std::chrono::months{1}) {
            const bool winter =
                month.month() >= std::chrono::December || month.month() <= std::chrono::March;
            const Date first = std::chrono::sys_days{month / 1};
            const Date last = std::chrono::sys_days{month / std::chrono::last};
            for (std::size_t i = 0; i < table.size(); ++i) {
                const Condition& c = table[i];
                if (c.kind == Kind::Chronic) continue;
                double per_month = c.rate[band] * (p.female ? c.female_factor : 1.0) / 12.0;
                if (c.winter_only) per_month = winter ? per_month * 3.0 : 0.0;  // 4 months a year
                if (!rng_.chance(per_month)) continue;
                const bool admitted = rng_.chance(c.inpatient_percent / 100.0);
                if (admitted)
                    plan_admission(p, static_cast<int>(i), random_date(rng_, first, last), visits);
                else
                    plan_outpatient_episode(p, static_cast<int>(i),
                                            weekday_for_clinic(random_date(rng_, first, last)),
                                            visits);
            }
        }
    }

    // Someone in a hospital's records came at least once: one acute outpatient episode, chosen
    // by the rates of the patient's age band.
    void plan_first_visit(const Patient& p, std::vector<PlannedVisit>& visits) {
        const auto& table = conditions();
        const auto band = static_cast<std::size_t>(age_band(p.age));
        std::vector<int> candidates, weights;
        for (std::size_t i = 0; i < table.size(); ++i) {
            const Condition& c = table[i];
            if (c.kind != Kind::Acute || c.winter_only) continue;
            const double rate = c.rate[band] * (p.female ? c.female_factor : 1.0);
            candidates.push_back(static_cast<int>(i));
            weights.push_back(static_cast<int>(rate * 1000.0) + 1);
        }
        const int condition = candidates[rng_.weighted(weights)];
        // Not after the last clinic day: a Sunday at the end would move past the period.
        const Date date = weekday_for_clinic(random_date(rng_, kPeriodStart, kPeriodEnd - days{1}));
        plan_outpatient_episode(p, condition, date, visits);
    }

    std::string_view outpatient_department(const Patient& p, const Condition& c) {
        return p.age < 15 ? "Paediatrics" : c.department;
    }

    void plan_outpatient_episode(const Patient& p, int condition, Date date,
                                 std::vector<PlannedVisit>& visits) {
        if (date > kPeriodEnd) return;
        const Condition& c = conditions()[static_cast<std::size_t>(condition)];
        const Date onset = date - days{rng_.between(0, 3)};
        PlannedVisit v{date, std::nullopt, outpatient_department(p, c), {}, {}, {}};
        v.diagnoses.push_back({condition, true, onset});
        for (const Regimen& r : c.regimen)
            if (rng_.chance(r.percent / 100.0))
                v.prescriptions.push_back({pick_dose(r.drug), c.course_days});
        const bool infection = c.icd10 == "J18.9" || c.icd10 == "N39.0";
        if (!c.labs.empty() && (infection || rng_.chance(0.5)))
            draw_labs(p, c.labs, date, infection ? Inflammation::Mild : Inflammation::None, v.labs);
        visits.push_back(std::move(v));
        if (rng_.chance(0.2)) {  // a follow-up visit
            Date again = weekday_for_clinic(date + days{rng_.between(7, 14)});
            if (again > kPeriodEnd) return;
            PlannedVisit f{again, std::nullopt, outpatient_department(p, c), {}, {}, {}};
            f.diagnoses.push_back({condition, true, onset});
            if (!c.labs.empty() && rng_.chance(0.5))
                draw_labs(p, c.labs, again, Inflammation::None, f.labs);
            visits.push_back(std::move(f));
        }
    }

    void plan_admission(const Patient& p, int condition, Date date,
                        std::vector<PlannedVisit>& visits) {
        const Condition& c = conditions()[static_cast<std::size_t>(condition)];
        const int stay = rng_.between(c.los_min, c.los_max);
        const Date discharge = date + days{stay};
        if (discharge > kPeriodEnd) return;  // the snapshot holds completed stays only
        PlannedVisit v{date, discharge, c.department, {}, {}, {}};
        v.diagnoses.push_back({condition, true, date - days{rng_.between(0, 2)}});
        for (const auto& cc : p.chronic) {
            if (cc.onset > date) continue;
            v.diagnoses.push_back({cc.condition, false, cc.onset});
            for (const auto& d : cc.drugs) v.prescriptions.push_back({d, stay});
        }
        for (const Regimen& r : c.regimen) {
            if (!rng_.chance(r.percent / 100.0)) continue;
            const int course = c.course_days > 0 ? std::min(c.course_days, stay) : stay;
            v.prescriptions.push_back({pick_dose(r.drug), std::max(course, 1)});
        }
        const bool infection = c.icd10 == "J18.9" || c.icd10 == "N39.0" || c.icd10 == "K35.8";
        draw_labs(p, kAdmissionPanel, date, infection ? Inflammation::Severe : Inflammation::None,
                  v.labs);
        draw_labs(p, c.labs, date, infection ? Inflammation::Severe : Inflammation::None, v.labs);
        if (stay >= 5) {
            const Date before_discharge = discharge - days{1};
            draw_labs(p, kAdmissionPanel, before_discharge,
                      infection ? Inflammation::Mild : Inflammation::None, v.labs);
        }
        visits.push_back(std::move(v));
    }

    Rng rng_;
    std::vector<Boost> comorbidity_;
    int osteoporosis_ = -1;
};

// ============================================================================================
// 5. Writing, checking and publishing the file
// ============================================================================================

struct RowCounts {
    std::int64_t visits = 0, diagnoses = 0, prescriptions = 0, lab_results = 0;
};

class Writer {
public:
    explicit Writer(Database& db)
        : patient_(db.prepare("INSERT INTO patients VALUES (?1, ?2, ?3, ?4)")),
          visit_(db.prepare("INSERT INTO visits VALUES (?1, ?2, ?3, ?4, ?5, ?6)")),
          diagnosis_(db.prepare("INSERT INTO diagnoses VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")),
          prescription_(
              db.prepare("INSERT INTO prescriptions VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")),
          lab_(db.prepare(
              "INSERT INTO lab_results VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)")) {}

    void write(const Patient& p, const std::vector<PlannedVisit>& visits) {
        patient_.bind(1, p.id).bind(2, p.female ? "F" : "M").bind(3, p.birth_year);
        patient_.bind(4, p.prefecture).run();
        patient_.reset();
        const auto& table = conditions();
        for (const PlannedVisit& v : visits) {
            const std::int64_t visit_id = ++counts_.visits;
            visit_.bind(1, visit_id).bind(2, p.id).bind(3, format_date(v.date));
            visit_.bind(4, v.department).bind(5, v.discharge ? "inpatient" : "outpatient");
            if (v.discharge)
                visit_.bind(6, format_date(*v.discharge));
            else
                visit_.bind_null(6);
            visit_.run();
            visit_.reset();
            for (const DiagnosisRow& d : v.diagnoses) {
                const Condition& c = table[static_cast<std::size_t>(d.condition)];
                diagnosis_.bind(1, ++counts_.diagnoses).bind(2, visit_id).bind(3, c.icd10);
                diagnosis_.bind(4, c.name_ja).bind(5, c.name_en).bind(6, d.main ? 1 : 0);
                diagnosis_.bind(7, format_date(d.onset)).run();
                diagnosis_.reset();
            }
            for (const PrescriptionRow& r : v.prescriptions) {
                const DrugInfo& info = kDrugs[r.drug.drug];
                prescription_.bind(1, ++counts_.prescriptions).bind(2, visit_id);
                prescription_.bind(3, info.code).bind(4, info.name_en).bind(5, r.drug.dose);
                prescription_.bind(6, info.unit).bind(7, r.days).run();
                prescription_.reset();
            }
            for (const LabRow& l : v.labs) {
                const LabTest& t = kLabTests[l.test];
                const double low = p.female ? t.low_f : t.low_m;
                const double high = p.female ? t.high_f : t.high_m;
                const char* flag = (high != kNoLimit && l.value > high) ? "H"
                                   : (low != kNoLimit && l.value < low) ? "L"
                                                                        : "";
                lab_.bind(1, ++counts_.lab_results).bind(2, visit_id);
                lab_.bind(3, format_date(l.sampled)).bind(4, t.code).bind(5, t.name_en);
                lab_.bind(6, l.value).bind(7, t.unit);
                if (low != kNoLimit) lab_.bind(8, low);
                if (high != kNoLimit) lab_.bind(9, high);
                lab_.bind(10, flag).run();
                lab_.reset();  // also clears the bindings, so an open limit stays NULL
            }
        }
    }

    const RowCounts& counts() const { return counts_; }

private:
    Statement patient_, visit_, diagnosis_, prescription_, lab_;
    RowCounts counts_;
};

// The drugs and lab_tests master tables, written before the records that refer to them.
void write_masters(Database& db) {
    auto drug = db.prepare("INSERT INTO drugs VALUES (?1, ?2, ?3, ?4)");
    for (const DrugInfo& d : kDrugs) {
        drug.bind(1, d.code).bind(2, d.name_en).bind(3, d.name_ja).bind(4, d.unit).run();
        drug.reset();
    }
    auto test = db.prepare("INSERT INTO lab_tests VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    for (const LabTest& t : kLabTests) {
        test.bind(1, t.code).bind(2, t.name_en).bind(3, t.name_ja).bind(4, t.unit);
        const double limits[] = {t.low_m, t.high_m, t.low_f, t.high_f};
        for (int i = 0; i < 4; ++i)
            if (limits[i] != kNoLimit) test.bind(5 + i, limits[i]);
        test.run();
        test.reset();
    }
}

void write_meta(Database& db, int patients, std::uint64_t seed, const RowCounts& counts) {
    const std::pair<std::string, std::string> rows[] = {
        {"notice",
         "Synthetic data made by a program for training; it describes no real person. "
         "研修用にプログラムで生成した架空のデータであり、実在の人物を表すものではありません。"},
        {"generator", "onsite-kiosk testdb"},
        {"generator_version", std::to_string(kTestDbGeneratorVersion)},
        {"seed", std::to_string(seed)},
        {"patients", std::to_string(patients)},
        {"visits", std::to_string(counts.visits)},
        {"diagnoses", std::to_string(counts.diagnoses)},
        {"prescriptions", std::to_string(counts.prescriptions)},
        {"lab_results", std::to_string(counts.lab_results)},
        {"period_start", format_date(kPeriodStart)},
        {"period_end", format_date(kPeriodEnd)},
        {"codes",
         "ICD-10 codes are WHO ICD-10 codes; drug codes are YJ-code-like and test codes "
         "JLAC10-like in shape only (illustrative, not an authoritative mapping)."},
        {"layout", "Loosely modelled on MID-NET / SS-MIX2 standardised storage."},
    };
    auto st = db.prepare("INSERT INTO meta VALUES (?1, ?2)");
    for (const auto& [k, v] : rows) {
        st.bind(1, k).bind(2, v).run();
        st.reset();
    }
}

// Builds the whole database in `scratch` and writes a compact copy of it to `out` (neither may
// exist). Throws SqliteError or std::runtime_error.
void build(const std::string& scratch, const std::string& out, int patients, std::uint64_t seed) {
    Database db(scratch, Database::Mode::ReadWriteCreate);
    // The file is private until published and discarded on any failure: no journal needed.
    db.exec("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-65536;");
    db.exec(kSchema);
    {
        Transaction tx(db);
        write_masters(db);
        Simulator sim(seed);
        Writer writer(db);
        for (int n = 1; n <= patients; ++n) {
            Patient p = sim.make_patient(n);
            writer.write(p, sim.plan_visits(p));
        }
        write_meta(db, patients, seed, writer.counts());
        db.exec(kIndexes);
        tx.commit();
    }
    {
        auto check = db.prepare("PRAGMA integrity_check");
        std::string first = check.step() ? check.column_text(0) : std::string("no answer");
        if (first != "ok")
            throw std::runtime_error(
                fmt::format("integrity_check of {} failed: {}", scratch, first));
        auto fk = db.prepare("PRAGMA foreign_key_check");
        if (fk.step())
            throw std::runtime_error(fmt::format("foreign_key_check of {} failed in table {}",
                                                 scratch, fk.column_text(0)));
    }
    // VACUUM INTO writes the compacted copy once (a VACUUM in place writes the file about three
    // times). The copy is in rollback-journal format (the scratch file is not in WAL mode), so a
    // reader needs no -wal/-shm files.
    auto vacuum = db.prepare("VACUUM INTO ?1");
    vacuum.bind(1, out).run();
}

bool fail(std::string* err, std::string msg) {
    if (err) *err = std::move(msg);
    return false;
}

void remove_quietly(const std::string& file) {
    std::error_code ec;
    for (const char* suffix : {"", "-journal", "-wal", "-shm"}) fs::remove(file + suffix, ec);
}

bool fsync_path(const std::string& p, bool directory, std::string* err) {
    int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC | (directory ? O_DIRECTORY : 0));
    if (fd < 0)
        return fail(err, fmt::format("cannot open {} to sync it: {}", p, std::strerror(errno)));
    int rc = ::fsync(fd);
    int e = errno;
    ::close(fd);
    if (rc != 0) return fail(err, fmt::format("cannot sync {}: {}", p, std::strerror(e)));
    return true;
}

// Gives the finished temporary file its final name without ever replacing an existing file:
// link() fails with EEXIST if `path` appeared meanwhile. Filesystems without hard links fall back
// to a checked rename.
bool publish(const std::string& tmp, const std::string& path, std::string* err) {
    if (::link(tmp.c_str(), path.c_str()) == 0) {
        ::unlink(tmp.c_str());
    } else if (errno == EEXIST) {
        return fail(err, fmt::format("refusing to overwrite {}: it appeared while the test "
                                     "database was being generated",
                                     path));
    } else if (errno == EPERM || errno == EXDEV || errno == ENOTSUP || errno == EOPNOTSUPP ||
               errno == EMLINK) {
        std::error_code ec;
        if (fs::exists(fs::symlink_status(path, ec)))
            return fail(err, fmt::format("refusing to overwrite existing file {}", path));
        fs::rename(tmp, path, ec);
        if (ec)
            return fail(err, fmt::format("cannot rename {} to {}: {}", tmp, path, ec.message()));
    } else {
        return fail(err, fmt::format("cannot create {}: {}", path, std::strerror(errno)));
    }
    fs::path dir = fs::path(path).parent_path();
    return fsync_path(dir.empty() ? "." : dir.string(), true, err);
}

}  // namespace

bool generate_test_database(const std::string& path, int patients, std::uint64_t seed,
                            std::string* err) {
    if (path.empty()) return fail(err, "no output file given for the test database");
    if (patients < 1 || patients > kTestDbMaxPatients)
        return fail(err, fmt::format("patient count {} is out of range (1..{})", patients,
                                     kTestDbMaxPatients));
    std::error_code ec;
    if (fs::exists(fs::symlink_status(path, ec)))
        return fail(err, fmt::format("refusing to overwrite existing file {}; remove it or "
                                     "choose another output file",
                                     path));
    const std::string tmp = path + ".tmp";
    const std::string scratch = path + ".tmp-build";
    remove_quietly(tmp);  // left by a crashed run: never published, safe to discard
    remove_quietly(scratch);
    try {
        build(scratch, tmp, patients, seed);
    } catch (const std::exception& e) {
        remove_quietly(scratch);
        remove_quietly(tmp);
        return fail(err, fmt::format("cannot generate the test database {}: {}", path, e.what()));
    }
    remove_quietly(scratch);
    bool ok = ::chmod(tmp.c_str(), 0444) == 0 ||
              fail(err, fmt::format("cannot make {} read-only: {}", tmp, std::strerror(errno)));
    ok = ok && fsync_path(tmp, false, err) && publish(tmp, path, err);
    if (!ok) remove_quietly(tmp);
    return ok;
}

// ============================================================================================
// 6. Sample queries
// ============================================================================================

std::vector<SampleQuery> sample_queries() {
    return {
        {"patients_by_diagnosis", "診断別の患者数（ICD-10）", "Patients by diagnosis (ICD-10)",
         R"sql(SELECT d.icd10, d.name_ja, d.name_en, COUNT(DISTINCT v.patient_id) AS patients
FROM diagnoses d JOIN visits v ON v.visit_id = d.visit_id
GROUP BY d.icd10, d.name_ja, d.name_en
ORDER BY patients DESC)sql"},
        {"patients_by_sex_age", "性別・年代別の患者数", "Patients by sex and age group",
         R"sql(SELECT sex, (2023 - birth_year) / 10 * 10 AS age_group_at_2023, COUNT(*) AS patients
FROM patients
GROUP BY sex, age_group_at_2023
ORDER BY sex, age_group_at_2023)sql"},
        {"hba1c_e11_metformin", "メトホルミン服用中の2型糖尿病患者のHbA1c分布",
         "HbA1c distribution of type 2 diabetes (E11) patients on metformin",
         R"sql(WITH e11 AS (
  SELECT DISTINCT v.patient_id FROM diagnoses d JOIN visits v ON v.visit_id = d.visit_id
  WHERE d.icd10 LIKE 'E11%'
), on_metformin AS (
  SELECT DISTINCT v.patient_id FROM prescriptions p JOIN visits v ON v.visit_id = p.visit_id
  WHERE p.generic_name = 'metformin'
)
SELECT CAST(l.value * 2 AS INTEGER) / 2.0 AS hba1c_from, COUNT(*) AS results,
       COUNT(DISTINCT v.patient_id) AS patients
FROM lab_results l JOIN visits v ON v.visit_id = l.visit_id
WHERE l.test_name = 'HbA1c'
  AND v.patient_id IN (SELECT patient_id FROM e11)
  AND v.patient_id IN (SELECT patient_id FROM on_metformin)
GROUP BY hba1c_from
ORDER BY hba1c_from)sql"},
        {"prescriptions_per_month", "月別の処方件数", "Prescriptions per month",
         R"sql(SELECT substr(v.visit_date, 1, 7) AS month, COUNT(*) AS prescriptions,
       COUNT(DISTINCT v.patient_id) AS patients
FROM prescriptions p JOIN visits v ON v.visit_id = p.visit_id
GROUP BY month
ORDER BY month)sql"},
        {"top_drugs", "処方患者数の多い薬剤（上位20）", "Most prescribed drugs (top 20)",
         R"sql(SELECT p.generic_name, g.generic_name_ja, COUNT(*) AS prescriptions,
       COUNT(DISTINCT v.patient_id) AS patients
FROM prescriptions p
JOIN visits v ON v.visit_id = p.visit_id
JOIN drugs g ON g.drug_code = p.drug_code
GROUP BY p.generic_name, g.generic_name_ja
ORDER BY patients DESC
LIMIT 20)sql"},
        {"length_of_stay", "主病名別の入院件数と平均在院日数",
         "Admissions and mean length of stay by main diagnosis",
         R"sql(SELECT d.icd10, d.name_en, COUNT(*) AS admissions,
       ROUND(AVG(julianday(v.discharge_date) - julianday(v.visit_date)), 1) AS mean_stay_days
FROM visits v JOIN diagnoses d ON d.visit_id = v.visit_id AND d.is_main = 1
WHERE v.setting = 'inpatient'
GROUP BY d.icd10, d.name_en
ORDER BY admissions DESC)sql"},
        {"abnormal_lab_rates", "検査項目別の異常値（H/L）の割合",
         "Share of abnormal (H/L) results by laboratory test",
         R"sql(SELECT test_code, test_name, COUNT(*) AS results,
       SUM(abnormal = 'H') AS high, SUM(abnormal = 'L') AS low,
       ROUND(100.0 * SUM(abnormal <> '') / COUNT(*), 1) AS abnormal_percent
FROM lab_results
GROUP BY test_code, test_name
ORDER BY abnormal_percent DESC)sql"},
        {"ldl_by_statin", "脂質異常症患者のLDLコレステロール平均（スタチン別）",
         "Mean LDL cholesterol of dyslipidaemia (E78) patients by statin",
         R"sql(WITH e78 AS (
  SELECT DISTINCT v.patient_id FROM diagnoses d JOIN visits v ON v.visit_id = d.visit_id
  WHERE d.icd10 LIKE 'E78%'
), statin AS (
  SELECT v.patient_id, MIN(p.generic_name) AS statin
  FROM prescriptions p JOIN visits v ON v.visit_id = p.visit_id
  WHERE p.generic_name IN ('atorvastatin', 'rosuvastatin')
  GROUP BY v.patient_id
)
SELECT COALESCE(s.statin, '(none)') AS statin, COUNT(DISTINCT v.patient_id) AS patients,
       ROUND(AVG(l.value), 1) AS mean_ldl_mg_dl
FROM lab_results l
JOIN visits v ON v.visit_id = l.visit_id
JOIN e78 ON e78.patient_id = v.patient_id
LEFT JOIN statin s ON s.patient_id = v.patient_id
WHERE l.test_name = 'LDL cholesterol'
GROUP BY statin
ORDER BY statin)sql"},
        {"influenza_by_month", "インフルエンザの月別受診件数", "Influenza visits by month",
         R"sql(SELECT substr(v.visit_date, 1, 7) AS month, COUNT(*) AS visits
FROM diagnoses d JOIN visits v ON v.visit_id = d.visit_id
WHERE d.icd10 LIKE 'J10%' AND d.is_main = 1
GROUP BY month
ORDER BY month)sql"},
        {"drug_then_high_lab",
         "薬剤の処方後30日以内に検査値が基準を超えた患者（例：スタチンとALT）",
         "Patients prescribed a drug who had a lab value above a threshold within 30 days "
         "(e.g. a statin and ALT)",
         R"sql(-- Change the drug, the test, the threshold and the window in `params`.
WITH params AS (
  SELECT 'atorvastatin' AS drug, 'ALT' AS test, 42 AS above, 30 AS within_days
), prescribed AS (
  SELECT DISTINCT v.patient_id, v.visit_date AS prescribed_on
  FROM prescriptions p JOIN visits v ON v.visit_id = p.visit_id, params
  WHERE p.generic_name = params.drug
)
SELECT r.patient_id, r.prescribed_on, l.sampled_date, l.test_name, l.value, l.unit,
       CAST(julianday(l.sampled_date) - julianday(r.prescribed_on) AS INTEGER) AS days_after
FROM prescribed r
JOIN visits v ON v.patient_id = r.patient_id
JOIN lab_results l ON l.visit_id = v.visit_id, params
WHERE l.test_name = params.test AND l.value > params.above
  AND julianday(l.sampled_date) - julianday(r.prescribed_on) BETWEEN 0 AND params.within_days
ORDER BY r.patient_id, l.sampled_date)sql"},
        {"lab_trend_per_patient", "患者ごとのHbA1cの推移（前回値との差）",
         "HbA1c over time per patient, with the change since the previous result",
         R"sql(SELECT v.patient_id, l.sampled_date, l.value AS hba1c,
       ROUND(l.value - LAG(l.value) OVER w, 1) AS change_since_previous,
       ROW_NUMBER() OVER w AS nth_result
FROM lab_results l JOIN visits v ON v.visit_id = l.visit_id
WHERE l.test_name = 'HbA1c'
WINDOW w AS (PARTITION BY v.patient_id ORDER BY l.sampled_date, l.lab_result_id)
ORDER BY v.patient_id, l.sampled_date)sql"},
        {"metformin_low_egfr", "eGFR 45未満でメトホルミンが処方された受診",
         "Visits where metformin was prescribed with eGFR below 45",
         R"sql(SELECT v.patient_id, v.visit_date, l.value AS egfr, p.dose AS metformin_mg_per_day
FROM visits v
JOIN lab_results l ON l.visit_id = v.visit_id AND l.test_name = 'eGFR'
JOIN prescriptions p ON p.visit_id = v.visit_id AND p.generic_name = 'metformin'
WHERE l.value < 45
ORDER BY l.value, v.visit_date)sql"},
    };
}

}  // namespace kiosk::db
