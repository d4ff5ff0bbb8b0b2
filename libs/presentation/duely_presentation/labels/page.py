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
        "page_not_found_title": "Invoice not found",
        "page_not_found_message": "This link is not valid. Please use the link from your invoice email.",
        "page_unavailable_title": "Invoice temporarily unavailable",
        "page_unavailable_message": "We could not load this invoice just now. Please try again in a minute.",
        "page_failure": "Your payment did not go through.",
        "page_failure_card_declined": "Your card was declined.",
        "page_failure_insufficient_funds": "Your card has insufficient funds.",
        "page_failure_expired_card": "Your card has expired.",
        "page_failure_payment_method_invalid": "Please choose a payment method.",
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
        "page_not_found_title": "Rechnung nicht gefunden",
        "page_not_found_message": "Dieser Link ist ungültig. Bitte verwenden Sie den Link aus Ihrer Rechnungs-E-Mail.",
        "page_unavailable_title": "Rechnung vorübergehend nicht verfügbar",
        "page_unavailable_message": "Die Rechnung konnte gerade nicht geladen werden. Bitte versuchen Sie es in "
                                    "einer Minute erneut.",
        "page_failure": "Ihre Zahlung ist nicht durchgegangen.",
        "page_failure_card_declined": "Ihre Karte wurde abgelehnt.",
        "page_failure_insufficient_funds": "Ihre Karte ist nicht ausreichend gedeckt.",
        "page_failure_expired_card": "Ihre Karte ist abgelaufen.",
        "page_failure_payment_method_invalid": "Bitte wählen Sie ein Zahlungsmittel.",
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
        "page_not_found_title": "Facture introuvable",
        "page_not_found_message": "Ce lien n’est pas valide. Utilisez le lien de l’e-mail de votre facture.",
        "page_unavailable_title": "Facture momentanément indisponible",
        "page_unavailable_message": "Nous n’avons pas pu charger cette facture. Réessayez dans une minute.",
        "page_failure": "Votre paiement n’a pas abouti.",
        "page_failure_card_declined": "Votre carte a été refusée.",
        "page_failure_insufficient_funds": "Le solde de votre carte est insuffisant.",
        "page_failure_expired_card": "Votre carte a expiré.",
        "page_failure_payment_method_invalid": "Veuillez choisir un moyen de paiement.",
        "page_failure_form_invalid": "Le formulaire de paiement était incomplet. Rien n’a été débité ; "
                                     "veuillez réessayer.",
        "page_failure_invoice_not_payable": "Cette facture ne peut plus être payée.",
        "page_failure_card_not_accepted": "Cette facture ne peut pas être payée par carte.",
        "page_failure_payment_in_progress": "Un paiement de cette facture est déjà en cours.",
        "page_failure_payment_service_unavailable": "Le service de paiement est injoignable. Rien n’a été "
                                                    "débité ; veuillez réessayer.",
    },
}
