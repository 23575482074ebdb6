// The string tables: Japanese (the default) and English. Refusal sentences say what happened and
// what to do next, in plain words (product.md section 1); the rule ids come from the Finding.
// Symbols used with words for status (never colour alone): ✓ yes/fine, × no/refused, ⚠ attention.
#include "ui/strings.h"

namespace ui {

using kiosk::Code;
using kiosk::Course;
using kiosk::Lang;

namespace {

constexpr int kCodeCount = static_cast<int>(Code::MirrorAging) + 1;

const Strings kJapanese{
    Lang::Ja,
    {
        {Text::TapCard, "カードをタッチしてください"},
        {Text::TapCardHint, "カードをリーダーにかざすと、研修の修了を確認します。"},
        {Text::LanguageToggle, "English"},
        {Text::DateFormat, "{y}年{m}月{d}日（{wd}）"},
        {Text::ReaderOk, "✓ カードリーダー: 接続中"},
        {Text::ReaderMissing, "× カードリーダー: 未接続"},
        {Text::ReaderStarting, "○ カードリーダー: 準備中"},
        {Text::RecordsFresh, "✓ 受講記録: {age}に更新"},
        {Text::RecordsAging, "⚠ 受講記録: {age}に更新（更新の遅れ）"},
        {Text::RecordsOld, "× 受講記録: {age}に更新（古すぎます）"},
        {Text::RecordsNever, "× 受講記録: まだありません"},
        {Text::AgeUnderHour, "1時間以内"},
        {Text::AgeHours, "{n}時間前"},
        {Text::AgeDays, "{n}日前"},
        {Text::SeatsFree, "✓ 空席: {free} / {seats}"},
        {Text::SeatsNone, "× 空席: なし（{seats}席とも使用中）"},
        {Text::Checking, "確認しています…"},
        {Text::GrantedBanner, "✓ 利用できます"},
        {Text::TraineeName, "{name} さん"},
        {Text::TraineeNumber, "受講者番号 {no}"},
        {Text::SessionEndsAt, "終了予定 {time}"},
        {Text::NextStepStart, "「開始」を押すと、テスト用データベースを使えます。"},
        {Text::NoticesHeading, "お知らせ"},
        {Text::Start, "開始"},
        {Text::RefusedBanner, "× 利用できません"},
        {Text::RulesLabel, "根拠: {rules}"},
        {Text::SitePolicy, "センターの規定"},
        {Text::CallStaff, "係員を呼ぶ"},
        {Text::StaffCalled, "✓ 係員を呼びました。このままお待ちください。"},
        {Text::ClosesByItself, "この画面は{s}秒で閉じます。"},
        {Text::Back, "戻る"},
        {Text::SessionBanner, "セッション中"},
        {Text::TimeLeft, "残り時間"},
        {Text::WarningBanner, "⚠ まもなく終了します"},
        {Text::WarningHint, "作業を保存してください。終了時刻になると、画面は自動で閉じます。"},
        {Text::EndSession, "セッションを終了"},
        {Text::Extend, "{min}分延長"},
        {Text::Extending, "延長できるか確認しています…"},
        {Text::ExtendRefused, "× 延長できません。"},
        {Text::ExtendedNotice, "✓ 延長しました（終了予定 {time}）"},
        {Text::ExtendNoSession,
         "このセッションはすでに終了しています。続けるには、カードをもう一度タッチしてください。"},
        {Text::ExtendNotYours, "このカードのセッションではありません。係員をお呼びください。"},
        {Text::ExtendEnded,
         "終了時刻を過ぎたため延長できません。続けるには、カードをもう一度タッチしてください。"},
        {Text::ExtendOff, "この施設では延長できません。時間が必要な場合は係員にご相談ください。"},
        {Text::ExtendMinutes, "延長の時間が正しく設定されていません。係員をお呼びください。"},
        {Text::ExtendLongestTotal,
         "延長できる上限に達しました。作業を保存し、終了時刻までに終えてください。"},
        {Text::ExtendUnavailable,
         "テスト用データベースを利用できないため延長できませんでした。作業を保存し、係員をお呼びく"
         "ださい。"},
        {Text::ExtendFailed,
         "延長できませんでした（何も変更されていません）。もう一度お試しいただくか、係員をお呼びく"
         "ださい。"},
        {Text::CredentialsIntro, "センターの端末から、次の情報で接続してください。"},
        {Text::CredHost, "ホスト"},
        {Text::CredPort, "ポート"},
        {Text::CredDatabase, "データベース"},
        {Text::CredUser, "ユーザー名"},
        {Text::CredPassword, "パスワード（1回限り）"},
        {Text::CredValidUntil, "有効期限"},
        {Text::SessionEndedBanner, "セッションは終了しました"},
        {Text::SessionEndedExpired, "終了時刻になりました。ご利用ありがとうございました。"},
        {Text::SessionEndedByTrainee, "ご利用ありがとうございました。"},
        {Text::SessionEndedByStaff, "係員がセッションを終了しました。"},
        {Text::InUseBanner, "× この端末は使用中です"},
        {Text::InUseUntil, "{time}まで使用中です。そのあとで、もう一度タッチしてください。"},
        {Text::TimeLeftOverlay, "残り時間 {left}（{time}まで）"},
        {Text::Ok, "閉じる"},
        {Text::ReaderProblemBanner, "⚠ カードリーダーが使えません"},
        {Text::ReaderProblemBody, "いまはカードを確認できません。係員にお申し出ください。"},
        {Text::RecordsStaleBanner, "⚠ 受講記録を確認できません"},
        {Text::RecordsStaleBody,
         "受講記録が{hours}時間以上更新されていないため、いまは利用を受け付けられません。"
         "係員にお申し出ください。"},
        {Text::TestDbUnavailableBanner, "⚠ テスト用データベースを利用できません"},
        {Text::TestDbUnavailableBody, "セッションを開始できませんでした。係員をお呼びください。"},
        {Text::ProblemDetail, "詳細: {detail}"},
        {Text::WorkspaceExamples, "例題（タッチでエディタに入ります）"},
        {Text::WorkspaceEditorHint, "ここにSQLを入力するか、左の例題をタッチしてください"},
        {Text::WorkspaceRun, "実行"},
        {Text::WorkspaceCancel, "中止"},
        {Text::WorkspaceRunning, "実行中… {n}行（{ms}ミリ秒）"},
        {Text::WorkspaceDone, "{n}行（{ms}ミリ秒）"},
        {Text::WorkspaceCut, "{n}行で打ち切りました（{ms}ミリ秒）"},
        {Text::WorkspaceRefused, "このクエリは実行できません（読み取りのみ）"},
        {Text::WorkspaceFailed, "エラー"},
        {Text::WorkspaceTimedOut, "時間制限で停止しました（{ms}ミリ秒）"},
        {Text::WorkspaceCancelled, "中止しました"},
        {Text::WorkspacePrevious, "前へ"},
        {Text::WorkspaceNext, "次へ"},
        {Text::WorkspaceRange, "{from}〜{to}行目／{n}行"},
        {Text::WorkspaceNoRows, "該当する行はありません"},
        {Text::Sun, "日"},
        {Text::Mon, "月"},
        {Text::Tue, "火"},
        {Text::Wed, "水"},
        {Text::Thu, "木"},
        {Text::Fri, "金"},
        {Text::Sat, "土"},
        {Text::Jan, "1月"},
        {Text::Feb, "2月"},
        {Text::Mar, "3月"},
        {Text::Apr, "4月"},
        {Text::May, "5月"},
        {Text::Jun, "6月"},
        {Text::Jul, "7月"},
        {Text::Aug, "8月"},
        {Text::Sep, "9月"},
        {Text::Oct, "10月"},
        {Text::Nov, "11月"},
        {Text::Dec, "12月"},
    },
    {
        {Code::CardUnknown, "このカードは登録されていません。係員にお申し出ください。"},
        {Code::CardRevoked, "このカードは無効になっています。係員にお申し出ください。"},
        {Code::TraineeUnknown, "あなたの受講記録が見つかりません。係員にお申し出ください。"},
        {Code::CourseMissing, "先に{course}を受講してください。"},
        {Code::CertLost,
         "{course}"
         "の修了証は紛失の届けが出ています。再受講して、新しい修了証を受け取ってください。"},
        {Code::CertNotObtained,
         "{course}"
         "の修了証が期限までに取得されていません。再受講して、修了証を受け取ってください。"},
        {Code::CertRevoked,
         "{course}の修了証は取り消されています。再受講して、新しい修了証を受け取ってください。"},
        {Code::RetakeRequired,
         "2024年1月31日の改正より前の修了証は、新しく利用する方には使えません。"
         "{course}を再受講してください。"},
        {Code::OrderViolation,
         "{course}は、MID-NET研修（概論）の修了後に受講したものだけが有効です。"
         "{course}を再受講してください。"},
        {Code::AlreadyInSession,
         "すでにあなたのセッションが始まっています。それを終了するか、係員にお申し出ください。"},
        {Code::MirrorStale, "受講記録が古いため、確認できません。係員にお申し出ください。"},
        {Code::NoSeat,
         "いま空いている席がありません。しばらくしてから、もう一度タッチしてください。"},
        {Code::KioskFault, "障害のため、確認できませんでした。係員にお申し出ください。"},
        {Code::RetakeAdvised, "できるだけ{course}を再受講してください（2024年1月31日の改正）。"},
        {Code::BriefingNeeded, "係員がシステムの操作方法をご説明します。"},
        {Code::MirrorAging, "受講記録の更新が遅れています。"},
    },
    {
        {Course::Overview, "MID-NET研修（概論）"},
        {Course::SystemOperation, "MID-NET研修（システム操作）"},
        {Course::Other, "研修"},
    },
};

const Strings kEnglish{
    Lang::En,
    {
        {Text::TapCard, "Please touch your ID card"},
        {Text::TapCardHint,
         "Hold your card on the reader: the kiosk checks your training records."},
        {Text::LanguageToggle, "日本語"},
        {Text::DateFormat, "{wd} {d} {mon} {y}"},
        {Text::ReaderOk, "✓ Card reader: connected"},
        {Text::ReaderMissing, "× Card reader: not connected"},
        {Text::ReaderStarting, "○ Card reader: starting"},
        {Text::RecordsFresh, "✓ Records: updated {age}"},
        {Text::RecordsAging, "⚠ Records: updated {age} (late)"},
        {Text::RecordsOld, "× Records: updated {age} (too old)"},
        {Text::RecordsNever, "× Records: none loaded yet"},
        {Text::AgeUnderHour, "within the hour"},
        {Text::AgeHours, "{n} h ago"},
        {Text::AgeDays, "{n} days ago"},
        {Text::SeatsFree, "✓ Free seats: {free} of {seats}"},
        {Text::SeatsNone, "× Free seats: none (all {seats} in use)"},
        {Text::Checking, "Checking…"},
        {Text::GrantedBanner, "✓ Access granted"},
        {Text::TraineeName, "{name}"},
        {Text::TraineeNumber, "Trainee number {no}"},
        {Text::SessionEndsAt, "Session ends at {time}"},
        {Text::NextStepStart, "Press Start to use the test database."},
        {Text::NoticesHeading, "Please note"},
        {Text::Start, "Start"},
        {Text::RefusedBanner, "× Access refused"},
        {Text::RulesLabel, "Rule: {rules}"},
        {Text::SitePolicy, "site policy"},
        {Text::CallStaff, "Call staff"},
        {Text::StaffCalled, "✓ Staff have been called: please wait here."},
        {Text::ClosesByItself, "This screen closes after {s} seconds."},
        {Text::Back, "Back"},
        {Text::SessionBanner, "Session in progress"},
        {Text::TimeLeft, "Time left"},
        {Text::WarningBanner, "⚠ Your session ends soon"},
        {Text::WarningHint, "Save your work: the screen closes by itself at the end time."},
        {Text::EndSession, "End session"},
        {Text::Extend, "Extend {min} min"},
        {Text::Extending, "Checking whether the session can be extended…"},
        {Text::ExtendRefused, "× The session cannot be extended:"},
        {Text::ExtendedNotice, "✓ Extended — now ends at {time}"},
        {Text::ExtendNoSession,
         "This session has already closed. Tap your card again to continue."},
        {Text::ExtendNotYours, "This session is not your card's. Please call staff."},
        {Text::ExtendEnded, "The end time has passed. Tap your card again to continue."},
        {Text::ExtendOff, "This center does not extend sessions. Ask staff if you need more time."},
        {Text::ExtendMinutes, "The extension time is not set up correctly. Please call staff."},
        {Text::ExtendLongestTotal,
         "This session has reached its longest time. Save your work and finish by the end time."},
        {Text::ExtendUnavailable,
         "The test database is unavailable, so the session was not extended. Save your work and "
         "call staff."},
        {Text::ExtendFailed,
         "The session was not extended (nothing changed). Try again, or call staff."},
        {Text::CredentialsIntro, "Connect from one of the center's terminals with:"},
        {Text::CredHost, "Host"},
        {Text::CredPort, "Port"},
        {Text::CredDatabase, "Database"},
        {Text::CredUser, "User"},
        {Text::CredPassword, "Password (one-time)"},
        {Text::CredValidUntil, "Valid until"},
        {Text::SessionEndedBanner, "Your session has ended"},
        {Text::SessionEndedExpired, "Its time is up. Thank you."},
        {Text::SessionEndedByTrainee, "Thank you."},
        {Text::SessionEndedByStaff, "A staff member ended the session."},
        {Text::InUseBanner, "× This terminal is in use"},
        {Text::InUseUntil, "It is in use until {time}: please touch your card again after that."},
        {Text::TimeLeftOverlay, "Time left {left} (until {time})"},
        {Text::Ok, "Close"},
        {Text::ReaderProblemBanner, "⚠ The card reader is not working"},
        {Text::ReaderProblemBody, "Cards cannot be checked right now: please ask staff."},
        {Text::RecordsStaleBanner, "⚠ Training records cannot be checked"},
        {Text::RecordsStaleBody,
         "The training records have not been updated for over {hours} hours, so the kiosk cannot "
         "let anyone in: please ask staff."},
        {Text::TestDbUnavailableBanner, "⚠ The test database is unavailable"},
        {Text::TestDbUnavailableBody, "Your session could not be started — please call staff."},
        {Text::ProblemDetail, "Detail: {detail}"},
        {Text::WorkspaceExamples, "Examples (touch one to edit it)"},
        {Text::WorkspaceEditorHint, "Type SQL here, or touch an example on the left"},
        {Text::WorkspaceRun, "Run"},
        {Text::WorkspaceCancel, "Cancel"},
        {Text::WorkspaceRunning, "Running… {n} rows ({ms} ms)"},
        {Text::WorkspaceDone, "{n} rows ({ms} ms)"},
        {Text::WorkspaceCut, "Cut at {n} rows ({ms} ms)"},
        {Text::WorkspaceRefused, "This query cannot run (reading only)"},
        {Text::WorkspaceFailed, "Error"},
        {Text::WorkspaceTimedOut, "Stopped at the time limit ({ms} ms)"},
        {Text::WorkspaceCancelled, "Cancelled"},
        {Text::WorkspacePrevious, "Previous"},
        {Text::WorkspaceNext, "Next"},
        {Text::WorkspaceRange, "Rows {from}–{to} of {n}"},
        {Text::WorkspaceNoRows, "No rows"},
        {Text::Sun, "Sun"},
        {Text::Mon, "Mon"},
        {Text::Tue, "Tue"},
        {Text::Wed, "Wed"},
        {Text::Thu, "Thu"},
        {Text::Fri, "Fri"},
        {Text::Sat, "Sat"},
        {Text::Jan, "Jan"},
        {Text::Feb, "Feb"},
        {Text::Mar, "Mar"},
        {Text::Apr, "Apr"},
        {Text::May, "May"},
        {Text::Jun, "Jun"},
        {Text::Jul, "Jul"},
        {Text::Aug, "Aug"},
        {Text::Sep, "Sep"},
        {Text::Oct, "Oct"},
        {Text::Nov, "Nov"},
        {Text::Dec, "Dec"},
    },
    {
        {Code::CardUnknown, "This card is not registered: please ask staff."},
        {Code::CardRevoked, "This card is no longer valid: please ask staff."},
        {Code::TraineeUnknown, "No training record was found for you: please ask staff."},
        {Code::CourseMissing, "Take the {course} first."},
        {Code::CertLost,
         "Your {course} certificate was reported lost: retake the course to get a new "
         "certificate."},
        {Code::CertNotObtained,
         "The {course} certificate was not obtained by its deadline: retake the course to get "
         "one."},
        {Code::CertRevoked,
         "Your {course} certificate was withdrawn: retake the course to get a new certificate."},
        {Code::RetakeRequired,
         "Certificates from before the 2024-01-31 revision do not count for new users: retake the "
         "{course}."},
        {Code::OrderViolation,
         "The {course} counts only when taken after the Overview course: retake the {course}."},
        {Code::AlreadyInSession, "You already have a session running: end it first, or ask staff."},
        {Code::MirrorStale,
         "The training records are out of date, so they cannot be checked: please ask staff."},
        {Code::NoSeat, "All seats are in use: please try again later."},
        {Code::KioskFault, "A fault stopped the kiosk from checking your card: please ask staff."},
        {Code::RetakeAdvised, "Please retake the {course} where possible (2024-01-31 revision)."},
        {Code::BriefingNeeded, "A staff member will brief you on how to use the system."},
        {Code::MirrorAging, "The training records have not been updated for a while."},
    },
    {
        {Course::Overview, "Overview course"},
        {Course::SystemOperation, "System-operation course"},
        {Course::Other, "course"},
    },
};

}  // namespace

Strings::Strings(Lang lang, std::initializer_list<Entry> texts,
                 std::initializer_list<FindingEntry> findings,
                 std::initializer_list<CourseEntry> courses)
    : lang_(lang) {
    for (const Entry& e : texts) texts_.at(static_cast<std::size_t>(e.id)) = e.text;
    for (const FindingEntry& e : findings) findings_.at(static_cast<std::size_t>(e.code)) = e.text;
    for (const CourseEntry& e : courses) courses_.at(static_cast<std::size_t>(e.course)) = e.name;
}

std::string_view Strings::course(Course c) const { return courses_[static_cast<int>(c)]; }

std::string Strings::finding(const kiosk::Finding& f) const {
    std::string_view tmpl = findings_[static_cast<int>(f.code)];
    return fill(tmpl, {{"course", course(f.course.value_or(Course::Other))}});
}

std::string Strings::rules(const kiosk::Finding& f) const {
    if (f.rules.empty()) return std::string((*this)[Text::SitePolicy]);
    std::string out;
    for (const std::string& r : f.rules) {
        if (!out.empty()) out += ", ";
        out += r;
    }
    return out;
}

std::vector<std::string_view> Strings::all() const {
    std::vector<std::string_view> out(texts_.begin(), texts_.end());
    out.insert(out.end(), findings_.begin(), findings_.begin() + kCodeCount);
    out.insert(out.end(), courses_.begin(), courses_.end());
    return out;
}

std::vector<std::string> Strings::gaps() const {
    std::vector<std::string> out;
    for (int i = 0; i < static_cast<int>(Text::Count); ++i)
        if (texts_[i].empty()) out.push_back("Text #" + std::to_string(i));
    for (int i = 0; i < kCodeCount; ++i)
        if (findings_[i].empty())
            out.push_back("finding " + std::string(kiosk::code_name(static_cast<Code>(i))));
    for (int i = 0; i < 3; ++i)
        if (courses_[i].empty()) out.push_back("course #" + std::to_string(i));
    return out;
}

const Strings& strings(Lang lang) { return lang == Lang::En ? kEnglish : kJapanese; }

std::vector<std::string_view> all_strings() {
    std::vector<std::string_view> out = kJapanese.all();
    std::vector<std::string_view> en = kEnglish.all();
    out.insert(out.end(), en.begin(), en.end());
    return out;
}

std::string fill(std::string_view tmpl,
                 std::initializer_list<std::pair<std::string_view, std::string_view>> values) {
    std::string out;
    out.reserve(tmpl.size() + 32);
    std::size_t i = 0;
    while (i < tmpl.size()) {
        std::size_t open = tmpl.find('{', i);
        if (open == std::string_view::npos) break;
        std::size_t close = tmpl.find('}', open);
        if (close == std::string_view::npos) break;
        out.append(tmpl.substr(i, open - i));
        std::string_view key = tmpl.substr(open + 1, close - open - 1);
        const std::pair<std::string_view, std::string_view>* hit = nullptr;
        for (const auto& kv : values)
            if (kv.first == key) hit = &kv;
        if (hit)
            out.append(hit->second);
        else
            out.append(tmpl.substr(open, close - open + 1));
        i = close + 1;
    }
    out.append(tmpl.substr(i));
    return out;
}

}  // namespace ui
