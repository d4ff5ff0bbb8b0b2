"""Labels of payment collection (issue #9): receipts, AutoPay and SEPA pre-notification, payment
instructions per accepted method, debits in progress, partial payments, expiring cards.

Shared by the PDFs, the hosted page and the emails (merged into every language's labels by i18n.py).
"""

_NB = "\u00a0"

LABELS: dict[str, dict[str, str]] = {
    "en": {
        # payment methods as their owner knows them
        "method_masked": "{name} •••• {last4}",
        "method_cash": "Cash", "method_other": "Other",
        "method_with_reference": "{method}, ref {reference}",
        # payment instructions (PDF, hosted page, emails)
        "reference_to_quote": "Reference to quote",
        "pay_online_intro": "Pay online by {methods} on the invoice page:",
        "pay_by_check_intro": "Make checks payable to {payee} and mail them to the address below. "
                              "Write the reference {reference} on the check.",
        "pay_by_transfer_intro": "Transfer the amount due to the account below, quoting the reference {reference}.",
        "pay_by_debit_intro": "{methods}: set up automatic payment with {company} to pay by direct debit.",
        # AutoPay
        "autopay_notice": "This invoice will be charged automatically on {date} to {method}.",
        "autopay_notice_no_method": "AutoPay is on for this invoice: it will be charged automatically on {date} "
                                    "to your default payment method. If none is on file by then, we will ask "
                                    "you to pay it.",
        "autopay_notice_no_date": "This invoice will be charged automatically to {method}.",
        "autopay_nothing_to_do": "You don’t need to do anything.",
        "sepa_prenotification_title": "SEPA Direct Debit pre-notification",
        "sepa_prenotification": "This email is the pre-notification of the SEPA Direct Debit: {creditor} will "
                                "debit {amount} from the account ending in {last4} on or after {date}, under "
                                "mandate {mandate}.",
        "sepa_creditor": "Creditor", "sepa_mandate": "Mandate reference", "sepa_debit_date": "Debit date",
        "sepa_account": "Account", "debit_amount": "Amount",
        "autopay_pay_now_instead": "Pay now instead", "autopay_heading": "Automatic payment",
        # receipts
        "receipt": "Receipt", "receipt_title": "Payment receipt", "receipt_for_invoice": "For invoice {number}",
        "receipt_payment": "Payment", "receipt_paid_on": "Paid on", "receipt_method": "Payment method",
        "receipt_amount": "Amount paid", "receipt_invoice_total": "Invoice total",
        "receipt_paid_to_date": "Paid to date", "receipt_remaining": "Remaining balance",
        "receipt_paid_in_full": "The invoice is paid in full.",
        "receipt_remaining_sentence": "{remaining} remains to be paid on invoice {number}.",
        "receipt_thanks": "Thank you for your payment.",
        "receipt_number": "Receipt for payment {payment_id}",
        "receipt_credit_added": "Overpayment kept as credit",
        "email_receipt_attached": "Your receipt is attached as a PDF.",
        # partial payments, debits in progress (hosted page)
        "partially_paid": "Partially paid",
        "paid_so_far": "Paid so far", "remaining_balance": "Remaining balance",
        "debit_processing_notice": "A {method} payment of {amount}, started on {date}, is being processed by "
                                   "the bank. This usually takes a few business days; the invoice is marked "
                                   "paid when it clears.",
        "debit_processing_status": "Payment processing",
        "history_paid_by": "Paid on {date} by {method}",
        # expiring card
        "email_expiring_card": "Card", "email_expiring_expires": "Expires",
        "email_update_method": "Update payment method",
    },
    "de": {
        "method_masked": "{name} •••• {last4}",
        "method_cash": "Bargeld", "method_other": "Sonstige",
        "method_with_reference": "{method}, Verwendungszweck {reference}",
        "reference_to_quote": "Verwendungszweck (bitte angeben)",
        "pay_online_intro": "Online bezahlen per {methods} auf der Rechnungsseite:",
        "pay_by_check_intro": "Stellen Sie Schecks auf {payee} aus und senden Sie sie an die folgende Adresse. "
                              "Vermerken Sie den Verwendungszweck {reference} auf dem Scheck.",
        "pay_by_transfer_intro": "Überweisen Sie den offenen Betrag auf das folgende Konto mit dem "
                                 "Verwendungszweck {reference}.",
        "pay_by_debit_intro": "{methods}: Richten Sie bei {company} die automatische Zahlung ein, um per "
                              "Lastschrift zu bezahlen.",
        "autopay_notice": "Diese Rechnung wird am {date} automatisch von {method} eingezogen.",
        "autopay_notice_no_method": "AutoPay ist für diese Rechnung aktiv: Sie wird am {date} automatisch über "
                                    "Ihr Standard-Zahlungsmittel eingezogen. Ist bis dahin keines hinterlegt, "
                                    "bitten wir Sie um Zahlung.",
        "autopay_notice_no_date": "Diese Rechnung wird automatisch von {method} eingezogen.",
        "autopay_nothing_to_do": "Sie müssen nichts weiter tun.",
        "sepa_prenotification_title": "Vorabankündigung der SEPA-Lastschrift",
        "sepa_prenotification": "Diese E-Mail ist die Vorabankündigung (Pre-Notification) der SEPA-Lastschrift: "
                                "{creditor} zieht {amount} am oder nach dem {date} von dem Konto mit den "
                                "Endziffern {last4} ein, mit der Mandatsreferenz {mandate}.",
        "sepa_creditor": "Zahlungsempfänger", "sepa_mandate": "Mandatsreferenz", "sepa_debit_date": "Einzugsdatum",
        "sepa_account": "Konto", "debit_amount": "Betrag",
        "autopay_pay_now_instead": "Stattdessen jetzt bezahlen", "autopay_heading": "Automatische Zahlung",
        "receipt": "Zahlungsbeleg", "receipt_title": "Zahlungsbestätigung",
        "receipt_for_invoice": "Zur Rechnung {number}",
        "receipt_payment": "Zahlung", "receipt_paid_on": "Bezahlt am", "receipt_method": "Zahlungsart",
        "receipt_amount": "Gezahlter Betrag", "receipt_invoice_total": "Rechnungsbetrag",
        "receipt_paid_to_date": "Bisher bezahlt", "receipt_remaining": "Offener Betrag",
        "receipt_paid_in_full": "Die Rechnung ist vollständig bezahlt.",
        "receipt_remaining_sentence": "Auf Rechnung {number} sind noch {remaining} offen.",
        "receipt_thanks": "Vielen Dank für Ihre Zahlung.",
        "receipt_number": "Beleg zur Zahlung {payment_id}",
        "receipt_credit_added": "Überzahlung als Guthaben",
        "email_receipt_attached": "Ihr Zahlungsbeleg liegt als PDF bei.",
        "partially_paid": "Teilweise bezahlt",
        "paid_so_far": "Bisher bezahlt", "remaining_balance": "Offener Betrag",
        "debit_processing_notice": "Eine Zahlung per {method} über {amount}, gestartet am {date}, wird von der "
                                   "Bank bearbeitet. Das dauert meist einige Bankarbeitstage; die Rechnung gilt "
                                   "als bezahlt, sobald der Betrag eingegangen ist.",
        "debit_processing_status": "Zahlung in Bearbeitung",
        "history_paid_by": "Bezahlt am {date} per {method}",
        "email_expiring_card": "Karte", "email_expiring_expires": "Gültig bis",
        "email_update_method": "Zahlungsmittel aktualisieren",
    },
    "fr": {
        "method_masked": "{name} •••• {last4}",
        "method_cash": "Espèces", "method_other": "Autre",
        "method_with_reference": "{method}, réf. {reference}",
        "reference_to_quote": "Référence à indiquer",
        "pay_online_intro": f"Payez en ligne par {{methods}} sur la page de la facture{_NB}:",
        "pay_by_check_intro": "Libellez vos chèques à l’ordre de {payee} et envoyez-les à l’adresse ci-dessous, "
                              "en inscrivant la référence {reference} au dos.",
        "pay_by_transfer_intro": "Virez le montant dû sur le compte ci-dessous en indiquant la référence "
                                 "{reference}.",
        "pay_by_debit_intro": f"{{methods}}{_NB}: activez le paiement automatique auprès de {{company}} pour "
                              "payer par prélèvement.",
        "autopay_notice": "Cette facture sera prélevée automatiquement le {date} sur {method}.",
        "autopay_notice_no_method": f"Le paiement automatique est activé pour cette facture{_NB}: elle sera "
                                    "prélevée le {date} sur votre moyen de paiement par défaut. Si aucun n’est "
                                    "enregistré d’ici là, nous vous demanderons de la régler.",
        "autopay_notice_no_date": "Cette facture sera prélevée automatiquement sur {method}.",
        "autopay_nothing_to_do": "Vous n’avez rien à faire.",
        "sepa_prenotification_title": "Pré-notification de prélèvement SEPA",
        "sepa_prenotification": f"Cet e-mail vaut pré-notification du prélèvement SEPA{_NB}: {{creditor}} "
                                "prélèvera {amount} sur le compte se terminant par {last4} le {date} ou après, "
                                "au titre du mandat {mandate}.",
        "sepa_creditor": "Créancier", "sepa_mandate": "Référence unique du mandat",
        "sepa_debit_date": "Date de prélèvement", "sepa_account": "Compte", "debit_amount": "Montant",
        "autopay_pay_now_instead": "Payer maintenant", "autopay_heading": "Paiement automatique",
        "receipt": "Reçu", "receipt_title": "Reçu de paiement", "receipt_for_invoice": "Pour la facture {number}",
        "receipt_payment": "Paiement", "receipt_paid_on": "Payé le", "receipt_method": "Moyen de paiement",
        "receipt_amount": "Montant payé", "receipt_invoice_total": "Total de la facture",
        "receipt_paid_to_date": "Déjà payé", "receipt_remaining": "Reste à payer",
        "receipt_paid_in_full": "La facture est payée intégralement.",
        "receipt_remaining_sentence": "Il reste {remaining} à payer sur la facture {number}.",
        "receipt_thanks": "Merci pour votre paiement.",
        "receipt_number": "Reçu du paiement {payment_id}",
        "receipt_credit_added": "Trop-perçu conservé en avoir",
        "email_receipt_attached": "Votre reçu est joint au format PDF.",
        "partially_paid": "Payée en partie",
        "paid_so_far": "Déjà payé", "remaining_balance": "Reste à payer",
        "debit_processing_notice": "Un paiement par {method} de {amount}, lancé le {date}, est en cours de "
                                   "traitement par la banque. Cela prend en général quelques jours ouvrés{nb}; la "
                                   "facture sera marquée payée une fois le paiement encaissé.".replace("{nb}", _NB),
        "debit_processing_status": "Paiement en cours",
        "history_paid_by": "Payé le {date} par {method}",
        "email_expiring_card": "Carte", "email_expiring_expires": "Expire fin",
        "email_update_method": "Mettre à jour le moyen de paiement",
    },
}
