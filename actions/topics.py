"""Which topic each question (intent) is about."""

TOPIC_OF_INTENT = {
    "start_business": "start_business",
    "ask_microloan": "microloan",
    "ask_loan_eligibility": "loan_eligibility",
    "ask_loan_documents": "loan_documents",
    "ask_loan_terms": "loan_terms",
    "estimate_repayment": "repayment",
    "ask_business_training": "business_training",
    "ask_qualification_recognition": "qualification_recognition",
    "ask_recognition_cost": "recognition_cost",
    "ask_recognition_documents": "recognition_documents",
    "ask_recognition_duration": "recognition_duration",
    "ask_job_coaching": "job_coaching",
    "ask_family_support": "family_support",
}
