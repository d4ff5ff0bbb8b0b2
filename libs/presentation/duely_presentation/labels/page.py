"""Labels of the hosted invoice page (around the invoice itself).

Keys start with `page_` so they can't collide with the document's or the emails' when the
catalogues are merged per language. Placeholders are filled with already-formatted values.
"""

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "page_download_pdf": "Download PDF", "page_download_receipt": "Download receipt",
        "page_pay_heading": "Pay this invoice", "page_card": "Card", "page_payment_method": "Payment method",
        "page_pay_button": "Pay {amount}", "page_pay_sending": "Processing…",
        "page_wire_intro": "Transfer {amount} to this account and quote the reference, so we can match your "
                           "payment.",
        "page_check": "Check",
        "page_check_intro": "Make your check for {amount} payable to {payee} and write the invoice number "
                            "{number} on it.",
        "page_check_mail_to": "Mail it to:",
        "page_paid_notice": "Paid — thank you.",
        "page_payment_received": "Payment received. Thank you! A receipt is on its way by email.",
        "page_processing_status": "Processing",
        "page_processing_due": "Payment being confirmed",
        "page_processing_notice": "We received your payment and are confirming it. This page updates by itself.",
        "page_processing_slow": "Your payment is still being confirmed. We will email your receipt once it is; "
                                "you can close this page.",
        "page_void_notice": "This invoice has been voided; nothing is owed.",
        "page_uncollectible_notice": "This invoice is closed.",
        "page_nothing_to_pay": "Nothing to pay.",
        "page_payment_history": "Payment history", "page_no_payments": "No payments yet.",
        "page_history_date": "Date", "page_history_method": "Method", "page_history_amount": "Amount",
        "page_history_result": "Result", "page_succeeded": "Succeeded", "page_failed": "Failed",
        "page_secured_by": "Secured by Duely",
        "page_history_payment": "Payment",
        "page_history_paid": "Paid on {date} with {method}",
        "page_history_declined": "{method} — declined on {date}: {reason}",
        "page_history_declined_plain": "{method} — declined on {date}",
        "page_history_refunded": "Refunded on {date}",
        "page_history_refunded_reason": "Refunded on {date}: {reason}",
        "page_refunded": "Refunded",
        "page_refund_reason_invoice_already_paid": "the invoice was already paid",
        "page_refund_reason_invoice_void": "the invoice was voided",
        "page_refund_reason_invoice_uncollectible": "the invoice was closed",
        "page_card_ending": "{brand} ending {last4}", "page_card_of": "{brand} card",
        "page_reason_insufficient_funds": "insufficient funds", "page_reason_expired_card": "the card has expired",
        "page_reason_incorrect_cvc": "incorrect security code", "page_reason_incorrect_number": "incorrect card number",
        "page_reason_processing_error": "a processing error, please try again",
        "page_reason_authentication_required": "your bank asks you to confirm the payment",
        "page_not_found_title": "Invoice not found",
        "page_not_found_message": "This link is not valid. Please use the link from your invoice email.",
        "page_unavailable_title": "Invoice temporarily unavailable",
        "page_unavailable_message": "We could not load this invoice just now. Please try again in a minute.",
        "page_failure": "Your payment did not go through.",
        "page_failure_card_declined": "Your card was declined.",
        "page_failure_insufficient_funds": "Your card has insufficient funds.",
        "page_failure_expired_card": "Your card has expired.",
        "page_failure_payment_method_invalid": "This payment method can't be used. Nothing was charged; please "
                                               "choose another one.",
        "page_failure_form_invalid": "The payment form was incomplete. Nothing was charged; please try again.",
        "page_failure_invoice_not_payable": "This invoice can no longer be paid.",
        "page_failure_card_not_accepted": "This invoice can't be paid by card.",
        "page_failure_payment_in_progress": "A payment for this invoice is already being processed.",
        "page_failure_payment_service_unavailable": "We could not reach the payment service. Nothing was "
                                                    "charged; please try again.",
    },
    "de": {
        "page_download_pdf": "PDF herunterladen", "page_download_receipt": "Quittung herunterladen",
        "page_pay_heading": "Rechnung bezahlen", "page_card": "Karte", "page_payment_method": "Zahlungsmittel",
        "page_pay_button": "{amount} bezahlen", "page_pay_sending": "Wird bearbeitet …",
        "page_wire_intro": "Überweisen Sie {amount} auf dieses Konto und geben Sie den Verwendungszweck an, "
                           "damit wir Ihre Zahlung zuordnen können.",
        "page_check": "Scheck",
        "page_check_intro": "Stellen Sie den Scheck über {amount} auf {payee} aus und vermerken Sie die "
                            "Rechnungsnummer {number}.",
        "page_check_mail_to": "Senden Sie ihn an:",
        "page_paid_notice": "Bezahlt – vielen Dank.",
        "page_payment_received": "Zahlung erhalten. Vielen Dank! Die Quittung kommt per E-Mail.",
        "page_processing_status": "In Bearbeitung",
        "page_processing_due": "Zahlung wird bestätigt",
        "page_processing_notice": "Wir haben Ihre Zahlung erhalten und bestätigen sie gerade. Diese Seite "
                                  "aktualisiert sich von selbst.",
        "page_processing_slow": "Ihre Zahlung wird noch bestätigt. Wir senden Ihnen die Quittung per E-Mail, "
                                "sobald das geschehen ist; Sie können diese Seite schließen.",
        "page_void_notice": "Diese Rechnung wurde storniert; es ist nichts zu zahlen.",
        "page_uncollectible_notice": "Diese Rechnung ist abgeschlossen.",
        "page_nothing_to_pay": "Nichts zu zahlen.",
        "page_payment_history": "Zahlungsverlauf", "page_no_payments": "Noch keine Zahlungen.",
        "page_history_date": "Datum", "page_history_method": "Zahlungsmittel", "page_history_amount": "Betrag",
        "page_history_result": "Ergebnis", "page_succeeded": "Erfolgreich", "page_failed": "Fehlgeschlagen",
        "page_secured_by": "Gesichert durch Duely",
        "page_history_payment": "Zahlung",
        "page_history_paid": "Bezahlt am {date} mit {method}",
        "page_history_declined": "{method} — abgelehnt am {date}: {reason}",
        "page_history_declined_plain": "{method} — abgelehnt am {date}",
        "page_history_refunded": "Erstattet am {date}",
        "page_history_refunded_reason": "Erstattet am {date}: {reason}",
        "page_refunded": "Erstattet",
        "page_refund_reason_invoice_already_paid": "die Rechnung war bereits bezahlt",
        "page_refund_reason_invoice_void": "die Rechnung wurde storniert",
        "page_refund_reason_invoice_uncollectible": "die Rechnung wurde geschlossen",
        "page_card_ending": "{brand} mit Endziffern {last4}", "page_card_of": "Karte {brand}",
        "page_reason_insufficient_funds": "Deckung nicht ausreichend", "page_reason_expired_card": "Karte abgelaufen",
        "page_reason_incorrect_cvc": "falsche Kartenprüfnummer", "page_reason_incorrect_number": "falsche Kartennummer",
        "page_reason_processing_error": "Verarbeitungsfehler, bitte erneut versuchen",
        "page_reason_authentication_required": "Ihre Bank möchte die Zahlung bestätigen lassen",
        "page_not_found_title": "Rechnung nicht gefunden",
        "page_not_found_message": "Dieser Link ist ungültig. Bitte verwenden Sie den Link aus Ihrer Rechnungs-E-Mail.",
        "page_unavailable_title": "Rechnung vorübergehend nicht verfügbar",
        "page_unavailable_message": "Die Rechnung konnte gerade nicht geladen werden. Bitte versuchen Sie es in "
                                    "einer Minute erneut.",
        "page_failure": "Ihre Zahlung ist nicht durchgegangen.",
        "page_failure_card_declined": "Ihre Karte wurde abgelehnt.",
        "page_failure_insufficient_funds": "Ihre Karte ist nicht ausreichend gedeckt.",
        "page_failure_expired_card": "Ihre Karte ist abgelaufen.",
        "page_failure_payment_method_invalid": "Dieses Zahlungsmittel kann nicht verwendet werden. Es wurde "
                                               "nichts belastet; bitte wählen Sie ein anderes.",
        "page_failure_form_invalid": "Das Zahlungsformular war unvollständig. Es wurde nichts belastet; bitte "
                                     "versuchen Sie es erneut.",
        "page_failure_invoice_not_payable": "Diese Rechnung kann nicht mehr bezahlt werden.",
        "page_failure_card_not_accepted": "Diese Rechnung kann nicht per Karte bezahlt werden.",
        "page_failure_payment_in_progress": "Eine Zahlung für diese Rechnung wird bereits bearbeitet.",
        "page_failure_payment_service_unavailable": "Der Zahlungsdienst war nicht erreichbar. Es wurde nichts "
                                                    "belastet; bitte versuchen Sie es erneut.",
    },
    "fr": {
        "page_download_pdf": "Télécharger le PDF", "page_download_receipt": "Télécharger le reçu",
        "page_pay_heading": "Payer cette facture", "page_card": "Carte", "page_payment_method": "Moyen de paiement",
        "page_pay_button": "Payer {amount}", "page_pay_sending": "Traitement en cours…",
        "page_wire_intro": "Virez {amount} sur ce compte en indiquant la référence, afin que nous puissions "
                           "rapprocher votre paiement.",
        "page_check": "Chèque",
        "page_check_intro": "Libellez votre chèque de {amount} à l’ordre de {payee} et inscrivez au dos le "
                            "numéro de facture {number}.",
        "page_check_mail_to": "Envoyez-le à :",
        "page_paid_notice": "Payée — merci.",
        "page_payment_received": "Paiement reçu. Merci ! Votre reçu vous est envoyé par e-mail.",
        "page_processing_status": "En cours",
        "page_processing_due": "Paiement en cours de confirmation",
        "page_processing_notice": "Nous avons reçu votre paiement et le confirmons. Cette page se met à jour "
                                  "d’elle-même.",
        "page_processing_slow": "Votre paiement est toujours en cours de confirmation. Nous vous enverrons le "
                                "reçu par e-mail dès qu’il sera confirmé ; vous pouvez fermer cette page.",
        "page_void_notice": "Cette facture a été annulée ; rien n’est dû.",
        "page_uncollectible_notice": "Cette facture est close.",
        "page_nothing_to_pay": "Rien à payer.",
        "page_payment_history": "Historique des paiements", "page_no_payments": "Aucun paiement pour l’instant.",
        "page_history_date": "Date", "page_history_method": "Moyen", "page_history_amount": "Montant",
        "page_history_result": "Résultat", "page_succeeded": "Réussi", "page_failed": "Échoué",
        "page_secured_by": "Sécurisé par Duely",
        "page_history_payment": "Paiement",
        "page_history_paid": "Payé le {date} avec {method}",
        "page_history_declined": "{method} — refusé le {date}\u00a0: {reason}",
        "page_history_declined_plain": "{method} — refusé le {date}",
        "page_history_refunded": "Remboursé le {date}",
        "page_history_refunded_reason": "Remboursé le {date}\u00a0: {reason}",
        "page_refunded": "Remboursé",
        "page_refund_reason_invoice_already_paid": "la facture était déjà payée",
        "page_refund_reason_invoice_void": "la facture a été annulée",
        "page_refund_reason_invoice_uncollectible": "la facture a été clôturée",
        "page_card_ending": "{brand} se terminant par {last4}", "page_card_of": "Carte {brand}",
        "page_reason_insufficient_funds": "provision insuffisante", "page_reason_expired_card": "carte expirée",
        "page_reason_incorrect_cvc": "cryptogramme incorrect",
        "page_reason_incorrect_number": "numéro de carte incorrect",
        "page_reason_processing_error": "erreur de traitement, veuillez réessayer",
        "page_reason_authentication_required": "votre banque demande de confirmer le paiement",
        "page_not_found_title": "Facture introuvable",
        "page_not_found_message": "Ce lien n’est pas valide. Utilisez le lien de l’e-mail de votre facture.",
        "page_unavailable_title": "Facture momentanément indisponible",
        "page_unavailable_message": "Nous n’avons pas pu charger cette facture. Réessayez dans une minute.",
        "page_failure": "Votre paiement n’a pas abouti.",
        "page_failure_card_declined": "Votre carte a été refusée.",
        "page_failure_insufficient_funds": "Le solde de votre carte est insuffisant.",
        "page_failure_expired_card": "Votre carte a expiré.",
        "page_failure_payment_method_invalid": "Ce moyen de paiement ne peut pas être utilisé. Rien n’a été "
                                               "débité\u00a0; veuillez en choisir un autre.",
        "page_failure_form_invalid": "Le formulaire de paiement était incomplet. Rien n’a été débité ; "
                                     "veuillez réessayer.",
        "page_failure_invoice_not_payable": "Cette facture ne peut plus être payée.",
        "page_failure_card_not_accepted": "Cette facture ne peut pas être payée par carte.",
        "page_failure_payment_in_progress": "Un paiement de cette facture est déjà en cours.",
        "page_failure_payment_service_unavailable": "Le service de paiement est injoignable. Rien n’a été "
                                                    "débité ; veuillez réessayer.",
    },
}

# The card update page (`/portal/payment_methods/update/<token>`, the link in the payment_method_expiring
# email). {card} is "Visa •••• 4242", {expires} a month and year ("December 2026"), {company} the seller.
UPDATE_LABELS: dict[str, dict[str, str]] = {
    "en": {
        "page_update_title": "Update your payment method",
        "page_update_heading": "Your card on file",
        "page_update_expiring": "Your {card} expires at the end of {expires}.",
        "page_update_expired": "Your {card} expired at the end of {expires}.",
        "page_update_intro": "{company} uses it for your automatic payments. Save a new card to keep them running.",
        "page_update_card": "Card", "page_update_expires": "Expires",
        "page_update_new_heading": "Save a new card",
        "page_update_new_card": "New card",
        "page_update_button": "Save card", "page_update_saving": "Saving…",
        "page_update_default_note": "The new card becomes your default payment method for {company}.",
        "page_update_saved": "{card} will be used from now on.",
        "page_update_saved_detail": "{company} will charge it for your automatic payments. You can close this page.",
        "page_update_another": "Save another card",
        "page_update_failure": "Your card could not be saved. Nothing was charged; please try another card.",
        "page_update_failure_card_declined": "Your card was declined. Nothing was charged; please try another card.",
        "page_update_failure_insufficient_funds": "Your card has insufficient funds. Please try another card.",
        "page_update_failure_expired_card": "This card has expired. Please try another card.",
        "page_update_failure_incorrect_cvc": "The security code is incorrect. Please try again.",
        "page_update_failure_processing_error": "The card could not be processed. Please try again.",
        "page_update_failure_payment_method_invalid": "This card can't be used. Please choose another one.",
        "page_update_failure_form_invalid": "The form was incomplete. Please choose a card and try again.",
        "page_update_failure_payment_service_unavailable": "We could not reach the payment service. Nothing was "
                                                           "saved; please try again.",
        "page_update_invalid_title": "Link not valid",
        "page_update_invalid_message": "This link is not valid. Please use the link from your email.",
        "page_update_expired_title": "Link expired",
        "page_update_expired_message": "This link has expired. Please ask {company} for a new one.",
        "page_update_expired_message_plain": "This link has expired. Please ask the sender of the email for a new one.",
        "page_update_unavailable_title": "Page temporarily unavailable",
        "page_update_unavailable_message": "We could not load this page just now. Please try again in a minute.",
    },
    "de": {
        "page_update_title": "Zahlungsmittel aktualisieren",
        "page_update_heading": "Ihre hinterlegte Karte",
        "page_update_expiring": "Ihre {card} läuft Ende {expires} ab.",
        "page_update_expired": "Ihre {card} ist Ende {expires} abgelaufen.",
        "page_update_intro": "{company} nutzt sie für Ihre automatischen Zahlungen. Hinterlegen Sie eine neue "
                             "Karte, damit diese weiterlaufen.",
        "page_update_card": "Karte", "page_update_expires": "Gültig bis",
        "page_update_new_heading": "Neue Karte hinterlegen",
        "page_update_new_card": "Neue Karte",
        "page_update_button": "Karte speichern", "page_update_saving": "Wird gespeichert …",
        "page_update_default_note": "Die neue Karte wird Ihr Standard-Zahlungsmittel bei {company}.",
        "page_update_saved": "{card} wird ab jetzt verwendet.",
        "page_update_saved_detail": "{company} belastet sie für Ihre automatischen Zahlungen. Sie können diese "
                                    "Seite schließen.",
        "page_update_another": "Andere Karte hinterlegen",
        "page_update_failure": "Ihre Karte konnte nicht gespeichert werden. Es wurde nichts belastet; bitte "
                               "versuchen Sie eine andere Karte.",
        "page_update_failure_card_declined": "Ihre Karte wurde abgelehnt. Es wurde nichts belastet; bitte "
                                             "versuchen Sie eine andere Karte.",
        "page_update_failure_insufficient_funds": "Ihre Karte ist nicht ausreichend gedeckt. Bitte versuchen Sie "
                                                  "eine andere Karte.",
        "page_update_failure_expired_card": "Diese Karte ist abgelaufen. Bitte versuchen Sie eine andere Karte.",
        "page_update_failure_incorrect_cvc": "Die Prüfnummer ist falsch. Bitte versuchen Sie es erneut.",
        "page_update_failure_processing_error": "Die Karte konnte nicht verarbeitet werden. Bitte versuchen Sie "
                                                "es erneut.",
        "page_update_failure_payment_method_invalid": "Diese Karte kann nicht verwendet werden. Bitte wählen Sie "
                                                      "eine andere.",
        "page_update_failure_form_invalid": "Das Formular war unvollständig. Bitte wählen Sie eine Karte und "
                                            "versuchen Sie es erneut.",
        "page_update_failure_payment_service_unavailable": "Der Zahlungsdienst war nicht erreichbar. Es wurde "
                                                           "nichts gespeichert; bitte versuchen Sie es erneut.",
        "page_update_invalid_title": "Link ungültig",
        "page_update_invalid_message": "Dieser Link ist ungültig. Bitte verwenden Sie den Link aus Ihrer E-Mail.",
        "page_update_expired_title": "Link abgelaufen",
        "page_update_expired_message": "Dieser Link ist abgelaufen. Bitte fragen Sie {company} nach einem neuen.",
        "page_update_expired_message_plain": "Dieser Link ist abgelaufen. Bitte fragen Sie den Absender der E-Mail "
                                             "nach einem neuen.",
        "page_update_unavailable_title": "Seite vorübergehend nicht verfügbar",
        "page_update_unavailable_message": "Die Seite konnte gerade nicht geladen werden. Bitte versuchen Sie es in "
                                           "einer Minute erneut.",
    },
    "fr": {
        "page_update_title": "Mettre à jour votre moyen de paiement",
        "page_update_heading": "Votre carte enregistrée",
        "page_update_expiring": "Votre carte {card} expire fin {expires}.",
        "page_update_expired": "Votre carte {card} a expiré fin {expires}.",
        "page_update_intro": "{company} l’utilise pour vos paiements automatiques. Enregistrez une nouvelle carte "
                             "pour qu’ils continuent.",
        "page_update_card": "Carte", "page_update_expires": "Expire fin",
        "page_update_new_heading": "Enregistrer une nouvelle carte",
        "page_update_new_card": "Nouvelle carte",
        "page_update_button": "Enregistrer la carte", "page_update_saving": "Enregistrement…",
        "page_update_default_note": "La nouvelle carte devient votre moyen de paiement par défaut chez {company}.",
        "page_update_saved": "La carte {card} sera utilisée désormais.",
        "page_update_saved_detail": "{company} la débitera pour vos paiements automatiques. Vous pouvez fermer "
                                    "cette page.",
        "page_update_another": "Enregistrer une autre carte",
        "page_update_failure": "Votre carte n’a pas pu être enregistrée. Rien n’a été débité\u00a0; veuillez "
                               "essayer une autre carte.",
        "page_update_failure_card_declined": "Votre carte a été refusée. Rien n’a été débité\u00a0; veuillez "
                                             "essayer une autre carte.",
        "page_update_failure_insufficient_funds": "Le solde de votre carte est insuffisant. Veuillez essayer une "
                                                  "autre carte.",
        "page_update_failure_expired_card": "Cette carte a expiré. Veuillez essayer une autre carte.",
        "page_update_failure_incorrect_cvc": "Le cryptogramme est incorrect. Veuillez réessayer.",
        "page_update_failure_processing_error": "La carte n’a pas pu être traitée. Veuillez réessayer.",
        "page_update_failure_payment_method_invalid": "Cette carte ne peut pas être utilisée. Veuillez en choisir "
                                                      "une autre.",
        "page_update_failure_form_invalid": "Le formulaire était incomplet. Veuillez choisir une carte et "
                                            "réessayer.",
        "page_update_failure_payment_service_unavailable": "Le service de paiement est injoignable. Rien n’a été "
                                                           "enregistré\u00a0; veuillez réessayer.",
        "page_update_invalid_title": "Lien non valide",
        "page_update_invalid_message": "Ce lien n’est pas valide. Veuillez utiliser le lien de votre e-mail.",
        "page_update_expired_title": "Lien expiré",
        "page_update_expired_message": "Ce lien a expiré. Veuillez en demander un nouveau à {company}.",
        "page_update_expired_message_plain": "Ce lien a expiré. Veuillez en demander un nouveau à l’expéditeur "
                                             "de l’e-mail.",
        "page_update_unavailable_title": "Page momentanément indisponible",
        "page_update_unavailable_message": "Nous n’avons pas pu charger cette page. Veuillez réessayer dans une "
                                           "minute.",
    },
}
for _language, _labels in UPDATE_LABELS.items():
    LABELS[_language].update(_labels)

# Paying by bank debit on the hosted page (SEPA for euro invoices, ACH for US dollar ones). The SEPA mandate
# is the standard wording (Stripe's, naming the creditor); the ACH one is a one-time debit authorization.
DEBIT_LABELS: dict[str, dict[str, str]] = {
    "en": {
        "page_debit_heading": "Pay by bank debit",
        "page_history_debit_failed": "{method} — failed on {date}",
        "page_debit_name": "Account holder name", "page_debit_iban": "IBAN",
        "page_debit_routing": "Routing number", "page_debit_account": "Account number",
        "page_debit_holder_type": "Account holder type", "page_debit_individual": "Individual",
        "page_debit_company": "Company",
        "page_debit_sepa_mandate": "By providing your payment information and confirming this payment, you authorise "
                                   "(A) {company} and Stripe, our payment service provider, to send instructions to "
                                   "your bank to debit your account and (B) your bank to debit your account in "
                                   "accordance with those instructions. As part of your rights, you are entitled to "
                                   "a refund from your bank under the terms and conditions of your agreement with "
                                   "your bank. A refund must be claimed within 8 weeks starting from the date on "
                                   "which your account was debited. Your rights are explained in a statement that "
                                   "you can obtain from your bank.",
        "page_debit_ach_mandate": "By checking the box and clicking the button below, you authorize {company} to "
                                  "debit the bank account specified above once for {amount}, on or after today. "
                                  "You may cancel this authorization by contacting {company} before the debit is "
                                  "made.",
        "page_debit_accept_sepa": "I accept this SEPA Direct Debit mandate",
        "page_debit_accept_ach": "I authorize this debit",
        "page_debit_button": "Pay {amount} by bank debit",
        "page_debit_sending": "Sending…",
        "page_debit_privacy": "Your bank details go straight to our payment provider; they are never stored by {company}.",
        "page_debit_error": "These bank details could not be used. Please check them and try again.",
        "page_debit_error_iban": "This IBAN is not valid. Please check it.",
        "page_debit_error_routing": "This routing number is not valid (9 digits).",
        "page_debit_error_account": "This account number is not valid (4 to 17 digits).",
        "page_debit_error_network": "We could not reach the payment provider. Nothing was charged; please try again.",
        "page_failure_payment_method_not_accepted": "This invoice can't be paid by this method.",
        "page_failure_payment_method_currency_mismatch": "This bank debit can't pay an invoice in this currency "
                                                         "(SEPA debits euros, ACH US dollars).",
        "page_failure_mandate_not_accepted": "Please accept the debit mandate to pay by bank debit.",
        "page_failure_debit_failed": "Your bank debit did not go through; nothing was taken. Please check your "
                                     "bank details or pay another way.",
    },
    "de": {
        "page_debit_heading": "Per Lastschrift bezahlen",
        "page_history_debit_failed": "{method} — fehlgeschlagen am {date}",
        "page_debit_name": "Name des Kontoinhabers", "page_debit_iban": "IBAN",
        "page_debit_routing": "Routing-Nummer", "page_debit_account": "Kontonummer",
        "page_debit_holder_type": "Kontoinhaber", "page_debit_individual": "Privatperson",
        "page_debit_company": "Unternehmen",
        "page_debit_sepa_mandate": "Durch Angabe Ihrer Zahlungsinformationen und der Bestätigung dieser Zahlung "
                                   "ermächtigen Sie (A) {company} und Stripe, unseren Zahlungsdienstleister, Ihrer "
                                   "Bank Anweisungen zur Belastung Ihres Kontos zu erteilen, und (B) Ihre Bank, Ihr "
                                   "Konto gemäß diesen Anweisungen zu belasten. Als Teil Ihrer Rechte haben Sie "
                                   "Anspruch auf eine Rückerstattung von Ihrer Bank gemäß den Bedingungen Ihrer "
                                   "Vereinbarung mit Ihrer Bank. Eine Rückerstattung muss innerhalb von 8 Wochen ab "
                                   "dem Datum der Belastung Ihres Kontos beantragt werden. Ihre Rechte sind in einer "
                                   "Erklärung aufgeführt, die Sie von Ihrer Bank erhalten können.",
        "page_debit_ach_mandate": "Mit dem Ankreuzen des Kästchens und dem Klick auf die Schaltfläche unten "
                                  "ermächtigen Sie {company}, das oben angegebene Bankkonto einmalig mit {amount} "
                                  "zu belasten, ab heute. Sie können diese Ermächtigung widerrufen, indem Sie "
                                  "{company} vor dem Einzug kontaktieren.",
        "page_debit_accept_sepa": "Ich erteile dieses SEPA-Lastschriftmandat",
        "page_debit_accept_ach": "Ich ermächtige diese Lastschrift",
        "page_debit_button": "{amount} per Lastschrift bezahlen",
        "page_debit_sending": "Wird gesendet …",
        "page_debit_privacy": "Ihre Bankdaten gehen direkt an unseren Zahlungsdienstleister; {company} speichert "
                              "sie nicht.",
        "page_debit_error": "Diese Bankdaten konnten nicht verwendet werden. Bitte prüfen Sie sie und versuchen "
                            "Sie es erneut.",
        "page_debit_error_iban": "Diese IBAN ist ungültig. Bitte prüfen Sie sie.",
        "page_debit_error_routing": "Diese Routing-Nummer ist ungültig (9 Ziffern).",
        "page_debit_error_account": "Diese Kontonummer ist ungültig (4 bis 17 Ziffern).",
        "page_debit_error_network": "Der Zahlungsdienstleister war nicht erreichbar. Es wurde nichts belastet; "
                                    "bitte versuchen Sie es erneut.",
        "page_failure_payment_method_not_accepted": "Diese Rechnung kann nicht mit diesem Zahlungsmittel bezahlt "
                                                    "werden.",
        "page_failure_payment_method_currency_mismatch": "Diese Lastschrift kann keine Rechnung in dieser Währung "
                                                         "bezahlen (SEPA in Euro, ACH in US-Dollar).",
        "page_failure_mandate_not_accepted": "Bitte erteilen Sie das Lastschriftmandat, um per Lastschrift zu "
                                             "bezahlen.",
        "page_failure_debit_failed": "Ihre Lastschrift ist nicht durchgegangen; es wurde nichts abgebucht. Bitte "
                                     "prüfen Sie Ihre Bankdaten oder zahlen Sie auf anderem Weg.",
    },
    "fr": {
        "page_debit_heading": "Payer par prélèvement",
        "page_history_debit_failed": "{method} — échoué le {date}",
        "page_debit_name": "Titulaire du compte", "page_debit_iban": "IBAN",
        "page_debit_routing": "Numéro de routage", "page_debit_account": "Numéro de compte",
        "page_debit_holder_type": "Type de titulaire", "page_debit_individual": "Particulier",
        "page_debit_company": "Entreprise",
        "page_debit_sepa_mandate": "En fournissant vos informations de paiement et en confirmant ce paiement, vous "
                                   "autorisez (A) {company} et Stripe, notre prestataire de services de paiement, à "
                                   "envoyer des instructions à votre banque pour débiter votre compte, et (B) votre "
                                   "banque à débiter votre compte conformément à ces instructions. Vous avez, entre "
                                   "autres, le droit de vous faire rembourser par votre banque selon les modalités et "
                                   "conditions du contrat conclu avec votre banque. La demande de remboursement doit "
                                   "être présentée dans un délai de 8\u00a0semaines à compter de la date à laquelle "
                                   "votre compte a été débité. Vos droits sont expliqués dans un document que vous "
                                   "pouvez obtenir auprès de votre banque.",
        "page_debit_ach_mandate": "En cochant la case et en cliquant sur le bouton ci-dessous, vous autorisez "
                                  "{company} à débiter une fois le compte bancaire indiqué ci-dessus de {amount}, à "
                                  "partir d’aujourd’hui. Vous pouvez révoquer cette autorisation en contactant "
                                  "{company} avant le prélèvement.",
        "page_debit_accept_sepa": "J’accepte ce mandat de prélèvement SEPA",
        "page_debit_accept_ach": "J’autorise ce prélèvement",
        "page_debit_button": "Payer {amount} par prélèvement",
        "page_debit_sending": "Envoi en cours…",
        "page_debit_privacy": "Vos coordonnées bancaires vont directement à notre prestataire de paiement\u00a0; "
                              "{company} ne les conserve pas.",
        "page_debit_error": "Ces coordonnées bancaires n’ont pas pu être utilisées. Veuillez les vérifier et "
                            "réessayer.",
        "page_debit_error_iban": "Cet IBAN n’est pas valide. Veuillez le vérifier.",
        "page_debit_error_routing": "Ce numéro de routage n’est pas valide (9\u00a0chiffres).",
        "page_debit_error_account": "Ce numéro de compte n’est pas valide (4 à 17\u00a0chiffres).",
        "page_debit_error_network": "Le prestataire de paiement est injoignable. Rien n’a été débité\u00a0; "
                                    "veuillez réessayer.",
        "page_failure_payment_method_not_accepted": "Cette facture ne peut pas être payée par ce moyen.",
        "page_failure_payment_method_currency_mismatch": "Ce prélèvement ne peut pas payer une facture dans cette "
                                                         "devise (SEPA en euros, ACH en dollars US).",
        "page_failure_mandate_not_accepted": "Veuillez accepter le mandat de prélèvement pour payer par "
                                             "prélèvement.",
        "page_failure_debit_failed": "Votre prélèvement n’a pas abouti ; rien n’a été débité. Veuillez "
                                     "vérifier vos coordonnées bancaires ou payer autrement.",
    },
}
for _language, _labels in DEBIT_LABELS.items():
    LABELS[_language].update(_labels)
